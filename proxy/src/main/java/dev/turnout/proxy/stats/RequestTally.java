package dev.turnout.proxy.stats;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of one route's requests to one pool: how many, how many answered 5xx, and their
 * durations in a log-linear histogram (8 buckets per doubling, so within 12.5 %). Totals only
 * grow; the difference of two {@link Snapshot}s describes the interval between them, which is
 * how a rollout compares a canary with the stable pool over the same interval.
 */
public final class RequestTally {

    private static final int SUB_BUCKETS = 8;
    private static final int BUCKETS = 320; // up to 2^41 µs, about 25 days

    private final LongAdder requests = new LongAdder();
    private final LongAdder serverErrors = new LongAdder();
    private final AtomicLongArray durations = new AtomicLongArray(BUCKETS);

    public void record(int status, long durationNanos) {
        requests.increment();
        if (status >= 500) {
            serverErrors.increment();
        }
        durations.incrementAndGet(bucket(Math.max(0, durationNanos / 1000)));
    }

    public Snapshot snapshot() {
        long[] counts = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] = durations.get(i);
        }
        return new Snapshot(requests.sum(), serverErrors.sum(), counts);
    }

    static int bucket(long micros) {
        if (micros < SUB_BUCKETS) {
            return (int) micros;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(micros);
        int sub = (int) (micros >>> (exponent - 3)) & (SUB_BUCKETS - 1);
        return Math.min(BUCKETS - 1, (exponent - 2) * SUB_BUCKETS + sub);
    }

    /** The middle of a bucket, in microseconds. */
    static double midpointMicros(int bucket) {
        if (bucket < SUB_BUCKETS) {
            return bucket + 0.5;
        }
        int exponent = bucket / SUB_BUCKETS + 2;
        long width = 1L << (exponent - 3);
        long lower = (SUB_BUCKETS + bucket % SUB_BUCKETS) * width;
        return lower + width / 2.0;
    }

    /** Totals at one moment, or (from {@link #since}) over an interval. */
    public record Snapshot(long requests, long serverErrors, long[] durationCounts) {

        /** Nothing counted; a start for {@link #plus}. */
        public static final Snapshot EMPTY = new Snapshot(0, 0, new long[BUCKETS]);

        public Snapshot since(Snapshot earlier) {
            long[] counts = new long[durationCounts.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = durationCounts[i] - earlier.durationCounts[i];
            }
            return new Snapshot(requests - earlier.requests, serverErrors - earlier.serverErrors, counts);
        }

        /** Both counts together, for instance a backend's over every route that sends it requests. */
        public Snapshot plus(Snapshot other) {
            long[] counts = new long[durationCounts.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = durationCounts[i] + other.durationCounts[i];
            }
            return new Snapshot(requests + other.requests, serverErrors + other.serverErrors, counts);
        }

        /** The share of requests answered 5xx; 0 without requests. */
        public double errorRate() {
            return requests == 0 ? 0 : (double) serverErrors / requests;
        }

        /** The duration below which a share {@code q} of the requests finished, in seconds; 0 without requests. */
        public double percentileSeconds(double q) {
            long total = 0;
            for (long count : durationCounts) {
                total += count;
            }
            if (total == 0) {
                return 0;
            }
            long rank = Math.max(1, (long) Math.ceil(q * total));
            long seen = 0;
            for (int i = 0; i < durationCounts.length; i++) {
                seen += durationCounts[i];
                if (seen >= rank) {
                    return midpointMicros(i) / 1e6;
                }
            }
            return midpointMicros(durationCounts.length - 1) / 1e6;
        }
    }
}
