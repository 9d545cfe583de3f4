package dev.turnout.proxy.cache;

/**
 * How long a stored answer is fresh, and how long past that it may still be used (RFC 9111 4.2,
 * RFC 5861), on the cache's clock.
 *
 * @param storedAtNanos               when it was stored (or last freshened)
 * @param initialAgeSeconds           its age when it arrived (the backend's Age header)
 * @param lifetimeSeconds             how long it is fresh, counted from its age 0
 * @param staleIfErrorSeconds         how long past its lifetime it may still stand in for a failing backend
 * @param staleWhileRevalidateSeconds how long past its lifetime it may be served while it is revalidated
 * @param mustRevalidate              never served stale
 */
record Freshness(long storedAtNanos, long initialAgeSeconds, long lifetimeSeconds, long staleIfErrorSeconds,
        long staleWhileRevalidateSeconds, boolean mustRevalidate) {

    /** For an answer governed by {@code directives}, whose lifetime is {@code lifetimeSeconds}. */
    static Freshness of(Directives directives, long lifetimeSeconds, long nowNanos, long initialAgeSeconds) {
        return new Freshness(nowNanos, initialAgeSeconds, lifetimeSeconds, directives.cc().staleIfError(),
                directives.cc().staleWhileRevalidate(), directives.forbidsStale());
    }

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
}
