package dev.turnout.proxy.exchange;

import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.policy.RoutePolicy;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.upstream.UpstreamListener;
import dev.turnout.proxy.upstream.UpstreamStream;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes a stale cache entry in the background (RFC 5861 stale-while-revalidate) after its
 * stale copy was served: one GET to a backend of the pool, conditional when the entry has
 * validators, whose answer renews or replaces the entry and goes nowhere else. It runs on the
 * client connection's event loop and uses that loop's pooled backend connections within the
 * backend's connection cap; it counts in flight on its backend, so a drain waits for it. Any
 * failure, or a backend at its cap, just leaves the stale entry.
 */
final class CacheRefresher implements UpstreamListener {

    private static final Logger LOG = LoggerFactory.getLogger(CacheRefresher.class);

    private final FrontendShared shared;
    private final Pool pool;
    private final Backend backend;
    private final ResponseCache.Lookup lookup;
    private final EventLoop loop;
    private UpstreamStream upstream;
    private ScheduledFuture<?> timeout;
    private ResponseCache.Fill fill;
    private boolean confirmed;
    private boolean reusable;
    private boolean done;

    private CacheRefresher(FrontendShared shared, Pool pool, Backend backend, ResponseCache.Lookup lookup, EventLoop loop) {
        this.shared = shared;
        this.pool = pool;
        this.backend = backend;
        this.lookup = lookup;
        this.loop = loop;
    }

    /**
     * Starts refreshing on {@code loop}; when no backend is in rotation the entry just stays stale.
     *
     * @param client the connection of the request the stale answer went to
     * @param policy the route's rules (request headers, rewrite), or null
     */
    static void start(FrontendShared shared, Pool pool, ResponseCache.Lookup lookup, String host, boolean secure,
            EventLoop loop, Downstream client, RoutePolicy policy) {
        Backend picked = pool.pick();
        if (picked == null) {
            lookup.land();
            return;
        }
        if (!Attempt.countIn(picked, shared.routing(), null)) {
            lookup.land(); // a drain raced the pick: skip this refresh
            return;
        }
        HttpRequest request = lookup.request();
        lookup.addValidators();
        ForwardedHeaders.prepareUpstreamRequest(request, client.clientIp(), client.peerTrusted(), host, picked.address(),
                ForwardedHeaders.requestId(request.headers()), secure);
        if (policy != null) {
            policy.toBackend(request);
        }
        new CacheRefresher(shared, pool, picked, lookup, loop).send(request);
    }

    private void send(HttpRequest request) {
        UpstreamStream pooled = shared.connector().leaseIdle(pool, backend, this);
        if (pooled == null && !Attempt.roomForConnection(shared, pool, backend)) {
            finish(false); // the backend is at its connection cap: the entry stays stale
            return;
        }
        long responseTimeout = shared.routing().current().settings().timeouts().request().toNanos();
        timeout = loop.schedule(() -> finish(false), responseTimeout, TimeUnit.NANOSECONDS);
        if (pooled != null) {
            write(pooled, request);
            return;
        }
        Future<UpstreamStream> connecting = shared.connector().connect(pool, backend, loop);
        connecting.addListener(f -> {
            if (!connecting.isSuccess() || done) {
                if (connecting.isSuccess()) {
                    shared.connector().discard(connecting.getNow());
                }
                finish(false);
                return;
            }
            shared.connector().bind(connecting.getNow(), this);
            write(connecting.getNow(), request);
        });
    }

    private void write(UpstreamStream stream, HttpRequest request) {
        upstream = stream;
        stream.write(request);
        stream.write(LastHttpContent.EMPTY_LAST_CONTENT);
        stream.flush();
    }

    @Override
    public void onUpstreamMessage(Object msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse head) {
            if (head.decoderResult().isFailure() || head.status().code() < 200) {
                ReferenceCountUtil.release(msg);
                finish(false);
                return;
            }
            reusable = HttpUtil.isKeepAlive(head);
            if (ResponsePolicy.isBackendFailure(head.status().code())) {
                shared.ejector().onFailure(backend, pool, backend.recordFailure());
            } else {
                backend.recordSuccess();
            }
            if (lookup.confirms(head)) {
                confirmed = true;
                ReferenceCountUtil.release(lookup.refreshed(head));
            } else {
                fill = lookup.fill(head);
            }
        }
        if (msg instanceof HttpContent content) {
            try {
                if (content.decoderResult().isFailure()) {
                    finish(false);
                    return;
                }
                if (fill != null && !fill.append(content.content())) {
                    fill = null;
                }
                if (content instanceof LastHttpContent) {
                    if (fill != null && !confirmed) {
                        fill.store();
                    }
                    finish(reusable);
                }
            } finally {
                content.release();
            }
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        // Nothing is relayed, so nothing waits for a flush.
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        // One small bodyless request: never large enough to fill the socket.
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (cause != null) {
            LOG.debug("background refresh from {} failed", backend, cause);
        }
        upstream = null;
        finish(false);
    }

    private void finish(boolean reuseConnection) {
        if (done) {
            return;
        }
        done = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
        UpstreamStream up = upstream;
        upstream = null;
        if (up != null) {
            if (reuseConnection) {
                shared.connector().release(backend, up);
            } else {
                shared.connector().discard(up);
            }
        }
        backend.requestFinished();
        lookup.land();
    }
}
