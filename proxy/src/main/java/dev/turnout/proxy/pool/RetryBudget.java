package dev.turnout.proxy.pool;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds the retries of requests that may have reached a backend, so that a failing pool is not
 * hammered (Envoy's retry budget), while the burst from one crashed backend still goes through.
 *
 * <p>One per pool name, for good (the percentage comes from each snapshot, so a reload may change it).
 * Retries in flight may number at most the largest of: {@code percent} of the pool's requests
 * in flight, the requests in flight on its busiest backend (when one backend dies, every request
 * it held fails at once, and each may be retried), and {@link #MIN_RETRIES_IN_FLIGHT}. So a pool
 * of N backends that all fail retries at most about 1/N of its load, not all of it.
 */
public final class RetryBudget {

    private static final int MIN_RETRIES_IN_FLIGHT = 3;

    private final AtomicInteger retriesInFlight = new AtomicInteger();
    private final Map<RetryReason, LongAdder> retries = new EnumMap<>(RetryReason.class);

    public RetryBudget() {
        for (RetryReason reason : RetryReason.values()) {
            retries.put(reason, new LongAdder());
        }
    }

    /**
     * Takes a retry token, or returns false when the budget is spent; give it back with
     * {@link #release()}.
     *
     * @param poolInflight    requests in flight over the whole pool
     * @param busiestInflight requests in flight on its busiest backend
     * @param percent         the pool's {@code retry-budget} in the snapshot the request runs on
     */
    public boolean tryAcquire(int poolInflight, int busiestInflight, int percent) {
        int allowed = Math.max(MIN_RETRIES_IN_FLIGHT, Math.max(busiestInflight, poolInflight * percent / 100));
        while (true) {
            int now = retriesInFlight.get();
            if (now >= allowed) {
                return false;
            }
            if (retriesInFlight.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public void release() {
        retriesInFlight.decrementAndGet();
    }

    /** Counts one retry sent, for metrics. */
    public void retried(RetryReason reason) {
        retries.get(reason).increment();
    }

    /** Retries sent for {@code reason} so far by every snapshot of the pool. */
    public long retries(RetryReason reason) {
        return retries.get(reason).sum();
    }
}
