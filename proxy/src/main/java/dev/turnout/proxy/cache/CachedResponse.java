package dev.turnout.proxy.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Set;

/**
 * A stored answer: immutable once stored. The body is a plain array, which the JVM keeps out of
 * the young generation once it is large, and which a hit wraps without copying.
 *
 * @param storedAtNanos   when it was stored, on the cache's clock
 * @param initialAgeSeconds its age when it arrived (the backend's Age header)
 * @param lifetimeSeconds how long it is fresh, counted from its age 0
 * @param staleIfErrorSeconds how long past its lifetime it may still stand in for a failing backend
 * @param staleWhileRevalidateSeconds how long past its lifetime it may be served while it is revalidated
 * @param sequence        the cache's store counter when it was stored, to compare with invalidations
 * @param tags            the surrogate keys it was stored with, for purges by tag
 */
record CachedResponse(int status, HttpHeaders headers, byte[] body, long storedAtNanos, long initialAgeSeconds,
        long lifetimeSeconds, long staleIfErrorSeconds, long staleWhileRevalidateSeconds, boolean sharedOk,
        boolean mustRevalidate, long sequence, Set<String> tags) {

    long ageSeconds(long nowNanos) {
        return initialAgeSeconds + Math.max(0, (nowNanos - storedAtNanos) / 1_000_000_000L);
    }

    boolean fresh(long nowNanos) {
        return ageSeconds(nowNanos) < lifetimeSeconds;
    }

    /** Whether it may answer when the backend fails (RFC 5861 stale-if-error). */
    boolean usableOnError(long nowNanos) {
        return !mustRevalidate && ageSeconds(nowNanos) < lifetimeSeconds + staleIfErrorSeconds;
    }

    /** Whether it may answer at once while a background request refreshes it (RFC 5861 stale-while-revalidate). */
    boolean usableWhileRevalidating(long nowNanos) {
        return !mustRevalidate && ageSeconds(nowNanos) < lifetimeSeconds + staleWhileRevalidateSeconds;
    }

    boolean hasValidator() {
        return headers.contains(HttpHeaderNames.ETAG) || headers.contains(HttpHeaderNames.LAST_MODIFIED);
    }

    int weight() {
        return body.length + headers.size() * 64 + 128;
    }
}
