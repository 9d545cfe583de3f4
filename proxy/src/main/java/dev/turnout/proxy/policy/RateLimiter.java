package dev.turnout.proxy.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * One route's token buckets, one per key, shared by every event loop.
 *
 * <p>Design. Each bucket is a single {@link AtomicLong}: the generic cell rate algorithm (GCRA, the token
 * bucket written as one timestamp). It holds the "theoretical arrival time" {@code tat}: when the bucket
 * would be full again. A request at {@code now} passes when {@code max(tat, now) - now <= tau}, where
 * {@code tau = (burst - 1) * interval}, and moves {@code tat} one interval on, by compare-and-set; a
 * request that loses the race reads again. So a full bucket lets {@code burst} requests through at once,
 * then one per interval; no lock, no timer, no refill task, and a refused request writes nothing.
 *
 * <p>Memory is bounded by Caffeine: at most {@code maxKeys} buckets, evicted by W-TinyLFU, which keeps keys
 * seen often (the client being limited) over one-off keys. A key that is evicted is forgotten: it comes
 * back with a full bucket, so the bound can loosen the limit for a returning key, never tighten it.
 * Measured, a bucket costs about 200 bytes with a client address as key ({@code RateLimiterMemoryTest}).
 *
 * <p>In a fleet each instance allows {@code 1/n} of the rate and of the burst (at least 1), where
 * {@code n} is the number of live instances, read for every request; a bucket carries over when
 * {@code n} changes.
 */
public final class RateLimiter {

    private static final Function<String, AtomicLong> NEW_BUCKET = key -> new AtomicLong(Long.MIN_VALUE);
    /** The longest key kept as it is; longer header and cookie values are {@link #shortened}. */
    static final int MAX_KEY_LENGTH = 128;

    private final RateLimit limit;
    private final Cache<String, AtomicLong> buckets;
    private final LongAdder refused = new LongAdder();
    private final IntSupplier liveInstances;
    private final LongSupplier nanoClock;

    /**
     * @param liveInstances the fleet's live instances (1 alone), read for every request
     * @param nanoClock     {@code System::nanoTime}, or a test's clock
     */
    public RateLimiter(RateLimit limit, IntSupplier liveInstances, LongSupplier nanoClock) {
        this.limit = limit;
        this.liveInstances = liveInstances;
        this.nanoClock = nanoClock;
        this.buckets = Caffeine.newBuilder().maximumSize(limit.maxKeys()).build();
    }

    public RateLimit limit() {
        return limit;
    }

    /**
     * Takes one request from {@code key}'s bucket.
     *
     * @return 0 when it passes; when it is refused, the nanoseconds until it would pass (at least 1)
     */
    public long take(String key) {
        int instances = Math.max(1, liveInstances.getAsInt());
        long interval = limit.intervalNanos() * instances;
        long tau = (Math.max(1, limit.burst() / instances) - 1) * interval;
        AtomicLong bucket = buckets.get(key, NEW_BUCKET);
        long now = nanoClock.getAsLong();
        while (true) {
            long tat = bucket.get();
            // tat - now is compared, never tat with now: nanoTime may be negative, and Long.MIN_VALUE is "full".
            long start = tat == Long.MIN_VALUE || tat - now < 0 ? now : tat;
            long wait = start - now - tau;
            if (wait > 0) {
                refused.increment();
                return wait;
            }
            if (bucket.compareAndSet(tat, start + interval)) {
                return 0;
            }
        }
    }

    /** The key a request is counted by; a request without the header or cookie is counted by its client address. */
    public String keyOf(String clientIp, HttpHeaders headers) {
        RateLimit.Key key = limit.key();
        if (key.kind() == RateLimit.KeyKind.CLIENT_IP) {
            return clientIp;
        }
        String value = key.kind() == RateLimit.KeyKind.HEADER ? headers.get(key.name()) : cookie(headers, key.name());
        if (value == null || value.indexOf('\n') >= 0) {
            // No field value holds a line feed, so an address key never shares a bucket with a header's or cookie's.
            return "\n" + clientIp;
        }
        return value.length() <= MAX_KEY_LENGTH ? value : shortened(value);
    }

    /**
     * A long value kept whole would let a client make each bucket as large as a header (16 KiB): it is kept
     * as a prefix, its hash and its length. Two values that share the prefix can only share a bucket if
     * their hashes collide too, and a client that knows another's prefix can already send its key.
     */
    static String shortened(String value) {
        return value.substring(0, MAX_KEY_LENGTH - 24) + '#' + Integer.toHexString(value.hashCode()) + '/' + value.length();
    }

    /** The value of cookie {@code name} in the request's Cookie lines (RFC 6265 5.4), or null. */
    static String cookie(HttpHeaders headers, String name) {
        List<String> lines = headers.getAll(HttpHeaderNames.COOKIE);
        for (String line : lines) {
            int at = 0;
            while (at < line.length()) {
                int end = line.indexOf(';', at);
                end = end < 0 ? line.length() : end;
                int eq = line.indexOf('=', at);
                if (eq > 0 && eq < end) {
                    int from = at;
                    while (from < eq && line.charAt(from) == ' ') {
                        from++;
                    }
                    int to = eq;
                    while (to > from && line.charAt(to - 1) == ' ') {
                        to--;
                    }
                    if (to - from == name.length() && line.regionMatches(from, name, 0, name.length())) {
                        return line.substring(eq + 1, end).trim();
                    }
                }
                at = end + 1;
            }
        }
        return null;
    }

    /** Requests refused since this limiter was made. */
    public long refused() {
        return refused.sum();
    }

    /**
     * Keys held now. Caffeine evicts past {@code max-keys} in its maintenance, which runs off the caller's thread
     * soon after a write, so for a moment the count can be over the limit; this never waits for it.
     */
    public long keys() {
        return buckets.estimatedSize();
    }
}
