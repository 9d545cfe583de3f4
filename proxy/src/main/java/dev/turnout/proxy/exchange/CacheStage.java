package dev.turnout.proxy.exchange;

import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.metrics.TrafficMetrics;
import dev.turnout.proxy.policy.RoutePolicy;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.route.Route;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * An exchange's use of the response cache, and the only caller of its protocol
 * ({@link ResponseCache.Lookup}, {@link ResponseCache.Fill}, {@link ResponseCache.Flight}) besides
 * the background {@link CacheRefresher} it starts. One per client connection, reused by each
 * exchange; inert for an exchange whose route does not cache.
 */
final class CacheStage {

    /** What a lookup found. */
    enum Found { HIT, IN_FLIGHT, MISS }

    private final FrontendShared shared;
    private ResponseCache.Lookup lookup;
    private ResponseCache.Fill fill;
    // How the cache served the client when it differs from the lookup's result (a 304 or a stale stand-in).
    private ResponseCache.Result served;
    private ResponseCache.Flight flight;

    CacheStage(FrontendShared shared) {
        this.shared = shared;
    }

    boolean appliesTo(Route route) {
        return shared.cache() != null && route.cache();
    }

    /**
     * Looks the request up. On a miss the request carries the stale entry's validators, so the
     * backend may answer 304.
     *
     * @param mayWait false for a request that waited for another fetch once already: it never waits again
     */
    Found lookUp(Pool pool, String host, HttpRequest head, boolean hasBody, boolean mayWait) {
        lookup = mayWait ? shared.cache().lookup(pool.name(), host, head, hasBody)
                : shared.cache().lookup(pool.name(), host, head, hasBody, false);
        if (lookup.hit() != null) {
            return Found.HIT;
        }
        if (mayWait) {
            flight = lookup.following();
            if (flight != null) {
                return Found.IN_FLIGHT;
            }
        }
        lookup.addValidators();
        return Found.MISS;
    }

    /** Runs {@code then} once the fetch this request waits for lands (possibly on another thread). */
    void whenLanded(Runnable then) {
        ResponseCache.Flight awaited = flight;
        flight = null;
        awaited.whenLanded(then);
    }

    /**
     * The answer for a hit, which the caller owns. A stale one is refreshed in the background, on
     * {@code loop}, while it is served; the refresh goes to the backend as the client's request would
     * (forwarding headers from {@code client}, the route's {@code policy}, or null).
     */
    FullHttpResponse hit(Pool pool, String host, boolean secure, EventLoop loop, Downstream client, RoutePolicy policy) {
        ResponseCache.Lookup refresh = lookup.backgroundRefresh();
        if (refresh != null) {
            CacheRefresher.start(shared, pool, refresh, host, secure, loop, client, policy);
        }
        return lookup.hit();
    }

    /** The stale entry, when one may stand in for a failure; else null. */
    FullHttpResponse staleOnError() {
        FullHttpResponse stale = lookup == null ? null : lookup.staleOnError();
        if (stale != null) {
            served = ResponseCache.Result.STALE;
        }
        return stale;
    }

    /**
     * What the client gets instead of the backend's answer, or null: the entry the backend
     * confirmed (304), or a stale one standing in for a failing backend.
     */
    FullHttpResponse insteadOf(HttpResponse backendHead) {
        if (lookup == null) {
            return null;
        }
        boolean confirmed = lookup.confirms(backendHead);
        FullHttpResponse fromCache = confirmed ? lookup.refreshed(backendHead)
                : ResponsePolicy.isBackendFailure(backendHead.status().code()) ? lookup.staleOnError() : null;
        if (fromCache != null) {
            served = confirmed ? ResponseCache.Result.HIT : ResponseCache.Result.STALE;
        }
        return fromCache;
    }

    /** The backend's answer goes to the client: it is labelled, and a GET's may be stored as it passes. */
    void relaying(HttpResponse head, HttpMethod method) {
        if (lookup != null) {
            lookup.answered(head);
            fill = method.equals(HttpMethod.GET) ? lookup.fill(head) : null;
            lookup.label(head);
        }
    }

    /** A part of the relayed body, copied for storage while it fits. */
    void append(ByteBuf content) {
        if (fill != null && !fill.append(content)) {
            fill = null;
        }
    }

    /** The relayed answer ended whole: it is stored. */
    void store() {
        if (fill != null) {
            fill.store();
            fill = null;
        }
    }

    /** The exchange ended: counts how it was served and lets requests waiting for this one go. */
    void end(TrafficMetrics metrics) {
        if (lookup == null) {
            return;
        }
        if (metrics != null) {
            metrics.cacheResult(served != null ? served : lookup.result());
        }
        lookup.land();
        lookup = null;
        fill = null;
        served = null;
        flight = null;
    }
}
