package dev.turnout.proxy.pool;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds retries so that a failing fleet is not hammered: retries in flight may be at most a
 * share of the pool's requests in flight (Envoy's retry budget), and always at least a few so
 * that a quiet pool can still retry.
 */
public final class RetryBudget {

    private static final int MIN_RETRIES_IN_FLIGHT = 3;

    private final int percent;
    private final AtomicInteger retriesInFlight = new AtomicInteger();
    private final LongAdder retries = new LongAdder();

    public RetryBudget(int percent) {
        this.percent = percent;
    }

    /** Takes a retry token, or returns false when the budget is spent; give it back with {@link #release()}. */
    public boolean tryAcquire(int requestsInFlight) {
        int allowed = Math.max(MIN_RETRIES_IN_FLIGHT, requestsInFlight * percent / 100);
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

    /** Counts one retry sent, for metrics. */
    public void retried() {
        retries.increment();
    }

    /** Retries sent so far by every snapshot of the pool. */
    public long retries() {
        return retries.sum();
    }

    public void release() {
        retriesInFlight.decrementAndGet();
    }
}
