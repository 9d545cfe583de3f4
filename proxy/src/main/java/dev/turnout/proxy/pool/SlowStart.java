package dev.turnout.proxy.pool;

/**
 * Slow start: a backend that just came up or was enabled gets a growing share of its weight,
 * from 5 % to all of it over the pool's {@code slow-start}, in {@link #STEPS} steps, so that a
 * cold JVM is not flooded. Pure arithmetic on the caller's clock.
 */
public final class SlowStart {

    /** Weights are scaled by this while a ramp runs; each step is 5 %. */
    public static final int STEPS = 20;

    private SlowStart() {
    }

    /**
     * How many of {@link #STEPS} steps of its weight a backend gets now.
     *
     * @param rampStartNanos when the ramp began, or 0 for none
     */
    public static int steps(long rampStartNanos, long nowNanos, long slowStartNanos) {
        if (slowStartNanos <= 0 || rampStartNanos == 0) {
            return STEPS;
        }
        long elapsed = nowNanos - rampStartNanos;
        if (elapsed >= slowStartNanos) {
            return STEPS;
        }
        return (int) Math.max(1, Math.max(0, elapsed) * STEPS / slowStartNanos);
    }
}
