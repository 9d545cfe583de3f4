package dev.turnout.proxy.stats;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A uniform sample of the durations of one route's requests to one pool since the last {@link #restart}:
 * at most {@link #CAPACITY} of them, kept by reservoir sampling (Algorithm R) once full, so a rollout's
 * interval costs {@code CAPACITY} longs per pool however busy it is.
 *
 * <p>{@link #record} runs on the event loops: it allocates nothing and takes no lock (one atomic
 * increment, one random draw, one array store), and only between {@link #restart} and
 * {@link #stop}: outside a rollout a request reads one volatile flag and touches no shared counter.
 * Each slot holds the interval's number beside the duration, so a slot written before the last
 * restart (or by a request that straddled it) is not read as part of the new interval; such a race
 * loses at most a slot, never mixes intervals.
 */
public final class LatencyReservoir {

    /** Samples kept per interval: 2048 × 8 bytes, 16 KiB per route and pool. */
    public static final int CAPACITY = 2048;
    private static final int MICROS_BITS = 40; // about 12 days
    private static final long MICROS_MASK = (1L << MICROS_BITS) - 1;
    private static final long INTERVAL_MASK = (1L << (Long.SIZE - MICROS_BITS)) - 1;

    private final AtomicLongArray slots = new AtomicLongArray(CAPACITY);
    private final AtomicLong seen = new AtomicLong();
    private final int capacity;
    private volatile long interval = 1;
    private volatile boolean sampling;

    public LatencyReservoir() {
        this(CAPACITY);
    }

    /** A smaller reservoir, for tests of the sampling. */
    LatencyReservoir(int capacity) {
        if (capacity < 1 || capacity > CAPACITY) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1 to " + CAPACITY + ")");
        }
        this.capacity = capacity;
    }

    public void record(long durationNanos) {
        if (!sampling) {
            return;
        }
        long current = interval;
        long n = seen.getAndIncrement();
        long slot = n < capacity ? n : ThreadLocalRandom.current().nextLong(n + 1);
        if (slot < capacity) {
            long micros = Math.min(MICROS_MASK, Math.max(0, durationNanos / 1000));
            slots.set((int) slot, ((current & INTERVAL_MASK) << MICROS_BITS) | micros);
        }
    }

    /** Starts a new interval: what was kept so far is no longer read. */
    public void restart() {
        interval++;
        seen.set(0);
        sampling = true;
    }

    /** No interval is being judged any more: requests are not sampled until the next {@link #restart}. */
    public void stop() {
        sampling = false;
    }

    /** The durations kept for the current interval, in seconds, sorted. */
    public double[] samples() {
        long current = interval & INTERVAL_MASK;
        int filled = (int) Math.min(capacity, seen.get());
        double[] seconds = new double[filled];
        int kept = 0;
        for (int i = 0; i < filled; i++) {
            long value = slots.get(i);
            if (value >>> MICROS_BITS == current) {
                seconds[kept++] = (value & MICROS_MASK) / 1e6;
            }
        }
        double[] sorted = Arrays.copyOf(seconds, kept);
        Arrays.sort(sorted);
        return sorted;
    }
}
