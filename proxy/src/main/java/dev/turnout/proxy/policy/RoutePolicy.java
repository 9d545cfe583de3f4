package dev.turnout.proxy.policy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A route's rules compiled for the data plane, once per routing snapshot (only its {@link RateLimiter}
 * outlives the snapshot, see {@link RoutePolicies}). A route without rules has no policy at all, so it
 * costs the exchange one null check. The exchange calls, in order: {@link #admit} before the cache and the
 * backend (access list, redirect, rate limit), {@link #toBackend} on the request it sends (header rules,
 * rewrite), and {@link #toClient} on every answer (header rules).
 *
 * <p>The 429 carries {@code Retry-After} and the {@code RateLimit-Policy} and {@code RateLimit} fields of
 * draft-ietf-httpapi-ratelimit-headers (the structured-field form of draft -08 and later): the policy is
 * named after the route, {@code q} is the route's whole rate per {@code w} seconds, and {@code t} the
 * seconds until a request would pass again.
 */
public final class RoutePolicy {

    static final AsciiString RATELIMIT_POLICY = AsciiString.cached("ratelimit-policy");
    static final AsciiString RATELIMIT = AsciiString.cached("ratelimit");
    private static final byte[] FORBIDDEN = "403 Forbidden: this client address may not use this route\n"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TOO_MANY = "429 Too Many Requests: over this route's rate limit; retry later\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final RouteRules rules;
    private final AddressList allow;
    private final AddressList deny;
    private final Redirect redirect;
    private final RateLimiter limiter;
    private final HeaderRules requestHeaders;
    private final HeaderRules responseHeaders;
    private final PathRewrite rewrite;
    // The policy's name, as the 429's fields name it: "route".
    private final String policyName;
    private final String policyField;

    /** @param limiter the route's rate limiter, or null when it has no rate limit */
    RoutePolicy(String route, RouteRules rules, RateLimiter limiter) {
        this.rules = rules;
        this.allow = rules.allow().isEmpty() ? null : rules.allow();
        this.deny = rules.deny().isEmpty() ? null : rules.deny();
        this.redirect = rules.redirect();
        this.limiter = limiter;
        this.requestHeaders = rules.requestHeaders().isEmpty() ? null : rules.requestHeaders();
        this.responseHeaders = rules.responseHeaders().isEmpty() ? null : rules.responseHeaders();
        this.rewrite = rules.rewrite();
        this.policyName = "\"" + route + "\"";
        RateLimit limit = rules.rateLimit();
        this.policyField = limit == null ? null : policyName + ";q=" + limit.count() + ";w=" + limit.unitSeconds();
    }

    /**
     * The access list, the redirect and the rate limit, in that order.
     *
     * @param clientIp the request's client address
     * @param host     the Host as received, or null
     * @param uri      the target as the client sent it, in origin-form
     * @param secure   the client connected over TLS
     * @return null when the request goes on; else Turnout's answer (403, the redirect, 429), which the caller owns
     */
    public FullHttpResponse admit(String clientIp, HttpRequest head, String host, String uri, boolean secure) {
        if (allow != null || deny != null) {
            byte[] address = AddressList.address(clientIp);
            boolean denied = deny != null && address != null && deny.contains(address);
            if (denied || (allow != null && (address == null || !allow.contains(address)))) {
                return text(HttpResponseStatus.FORBIDDEN, FORBIDDEN);
            }
        }
        if (redirect != null) {
            return redirect.answer(secure, host, uri);
        }
        if (limiter != null) {
            long waitNanos = limiter.take(limiter.keyOf(clientIp, head.headers()));
            if (waitNanos > 0) {
                return tooManyRequests(waitNanos);
            }
        }
        return null;
    }

    private FullHttpResponse tooManyRequests(long waitNanos) {
        long seconds = Math.max(1, (waitNanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
        FullHttpResponse response = text(HttpResponseStatus.TOO_MANY_REQUESTS, TOO_MANY);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, seconds)
                .set(RATELIMIT_POLICY, policyField)
                .set(RATELIMIT, policyName + ";r=0;t=" + seconds);
        return response;
    }

    private static FullHttpResponse text(HttpResponseStatus status, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    /** The request header rules, then the path rewrite, on the request as it goes to the backend. */
    public void toBackend(HttpRequest request) {
        if (requestHeaders != null) {
            requestHeaders.apply(request.headers());
        }
        if (rewrite != null) {
            request.setUri(rewrite.apply(request.uri()));
        }
    }

    /** The response header rules, on an answer on its way to the client: relayed, from the cache, or Turnout's own. */
    public void toClient(HttpHeaders headers) {
        if (responseHeaders != null) {
            responseHeaders.apply(headers);
        }
    }

    /** Each rule in force, as the status page shows it. */
    public Map<String, String> summary() {
        return rules.summary();
    }

    /** Requests the rate limit refused (on this instance), or -1 when the route has none. */
    public long rateLimited() {
        return limiter == null ? -1 : limiter.refused();
    }

    /** The keys the rate limit holds a bucket for (max-keys, once eviction caught up), or -1 when the route has none. */
    public long rateLimitKeys() {
        return limiter == null ? -1 : limiter.keys();
    }
}
