package dev.turnout.proxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition with a deadline instead of sleeping. Fixtures call {@link #signal()}
 * whenever something observable changes (a request arrives, a connection closes), which wakes
 * the waiters at once; the condition is also re-checked every few milliseconds for changes that
 * nobody signals.
 */
public final class Await {

    /** Generous: a deadline only matters when a test is about to fail anyway. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final Object CHANGED = new Object();
    private static final long RECHECK_MILLIS = 5;

    private Await() {
    }

    /** Wakes every waiter so that it re-checks its condition. */
    public static void signal() {
        synchronized (CHANGED) {
            CHANGED.notifyAll();
        }
    }

    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT, condition);
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            synchronized (CHANGED) {
                try {
                    CHANGED.wait(Math.max(1, Math.min(RECHECK_MILLIS, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted waiting for " + what, e);
                }
            }
        }
    }
}
