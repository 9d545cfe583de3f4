package dev.turnout.proxy.stats;

import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last {@link #SECONDS} seconds of traffic per pool and per backend, for {@code GET /api/v1/history}:
 * one sample a second, taken from the running totals by the sampler thread, never by the hot path. Each
 * series is a ring of fixed-size arrays, so memory is bounded by the number of pools and backends; a pool
 * or backend that leaves the routing snapshot drops out at the next sample.
 */
public final class TrafficHistory {

    /** Fifteen minutes of one sample a second. */
    public static final int SECONDS = 900;

    private final int capacity;
    // Replaced whole at each sample; guarded by "this" (the sampler writes, admin threads read).
    private Map<String, Ring> pools = Map.of();
    private Map<String, Ring> backends = Map.of();

    public TrafficHistory() {
        this(SECONDS);
    }

    /** Keeps {@code capacity} samples per series; fewer than {@link #SECONDS} only for tests. */
    TrafficHistory(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Adds the second that ended at {@code timeMillis}: the difference between these running totals and
     * the previous ones. Keys are pool names and {@code "pool/id"}.
     */
    public synchronized void sample(long timeMillis, Map<String, RequestTally.Snapshot> poolTotals,
            Map<String, RequestTally.Snapshot> backendTotals) {
        pools = sampled(pools, timeMillis, poolTotals);
        backends = sampled(backends, timeMillis, backendTotals);
    }

    private Map<String, Ring> sampled(Map<String, Ring> previous, long timeMillis, Map<String, RequestTally.Snapshot> now) {
        Map<String, Ring> next = new HashMap<>();
        now.forEach((key, total) -> {
            Ring ring = previous.get(key);
            if (ring == null) {
                ring = new Ring(capacity);
            }
            ring.add(timeMillis, total);
            next.put(key, ring);
        });
        return next;
    }

    /** Every series kept, each in name order. */
    public synchronized Samples samples() {
        return new Samples(Duration.ofSeconds(1), series(backends), series(pools));
    }

    /**
     * The samples of every pool and backend.
     *
     * @param interval how far apart the samples are, in whole seconds
     * @param backends per {@code "pool/id"}
     * @param pools    per pool name: every request routed to the pool
     */
    public record Samples(Duration interval, Map<String, Series> backends, Map<String, Series> pools) {

        public Samples {
            backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
            pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        }
    }

    /**
     * One pool's or backend's samples, oldest first; the i-th entry of each array belongs to the same second.
     * Each reader gets arrays of its own.
     *
     * @param timesMillis when each sample was taken, in milliseconds since the epoch
     * @param rps         requests answered per second since the sample before
     * @param errors      of those, how many were answered with a 5xx status
     * @param p95Millis   their 95th percentile duration in milliseconds; NaN for a second without requests
     */
    public record Series(long[] timesMillis, double[] rps, long[] errors, double[] p95Millis) {
    }

    private static Map<String, Series> series(Map<String, Ring> rings) {
        Map<String, Series> series = new LinkedHashMap<>();
        rings.keySet().stream().sorted().forEach(key -> series.put(key, rings.get(key).series()));
        return series;
    }

    /** One series: parallel arrays used as a ring, {@code next} the slot the next sample goes in. */
    private static final class Ring {

        private final long[] t;
        private final double[] rps;
        private final long[] errors;
        private final double[] p95Ms; // NaN: a second without requests
        private int next;
        private int size;
        private RequestTally.Snapshot last;
        private long lastMillis;

        Ring(int capacity) {
            t = new long[capacity];
            rps = new double[capacity];
            errors = new long[capacity];
            p95Ms = new double[capacity];
        }

        void add(long timeMillis, RequestTally.Snapshot total) {
            RequestTally.Snapshot previous = last;
            long previousMillis = lastMillis;
            last = total;
            lastMillis = timeMillis;
            // The first reading only starts the series; totals that went back were counted anew.
            if (previous == null || timeMillis <= previousMillis || total.requests() < previous.requests()) {
                return;
            }
            RequestTally.Snapshot second = total.since(previous);
            t[next] = timeMillis;
            rps[next] = second.requests() * 1000.0 / (timeMillis - previousMillis);
            errors[next] = second.serverErrors();
            p95Ms[next] = second.requests() == 0 ? Double.NaN : second.percentileSeconds(0.95) * 1000;
            next = (next + 1) % t.length;
            size = Math.min(size + 1, t.length);
        }

        Series series() {
            long[] times = new long[size];
            double[] rates = new double[size];
            long[] failed = new long[size];
            double[] p95 = new double[size];
            int oldest = (next - size + t.length) % t.length;
            for (int i = 0; i < size; i++) {
                int slot = (oldest + i) % t.length;
                times[i] = t[slot];
                rates[i] = rps[slot];
                failed[i] = errors[slot];
                p95[i] = p95Ms[slot];
            }
            return new Series(times, rates, failed, p95);
        }
    }
}
