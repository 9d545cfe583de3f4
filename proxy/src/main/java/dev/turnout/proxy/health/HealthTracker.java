package dev.turnout.proxy.health;

import dev.turnout.proxy.pool.Health;

/**
 * One backend's health state machine: health flips only after {@code healthyThreshold} good or
 * {@code unhealthyThreshold} bad results in a row. Time comes from the caller (an injectable
 * clock), so tests step it instead of sleeping. Not thread-safe: the health thread owns it.
 */
public final class HealthTracker {

    private final int healthyThreshold;
    private final int unhealthyThreshold;
    private Health health;
    private int goodInARow;
    private int badInARow;
    private long changedAtNanos;

    public HealthTracker(int healthyThreshold, int unhealthyThreshold, Health initial, long nowNanos) {
        this.healthyThreshold = healthyThreshold;
        this.unhealthyThreshold = unhealthyThreshold;
        this.health = initial;
        this.changedAtNanos = nowNanos;
    }

    public Health health() {
        return health;
    }

    /** When health last changed, on the caller's clock. */
    public long changedAtNanos() {
        return changedAtNanos;
    }

    /**
     * Records one probe result.
     *
     * @return true if this result changed the health
     */
    public boolean record(boolean good, long nowNanos) {
        if (good) {
            badInARow = 0;
            goodInARow++;
            if (health != Health.UP && goodInARow >= healthyThreshold) {
                return change(Health.UP, nowNanos);
            }
        } else {
            goodInARow = 0;
            badInARow++;
            if (health != Health.DOWN && badInARow >= unhealthyThreshold) {
                return change(Health.DOWN, nowNanos);
            }
        }
        return false;
    }

    private boolean change(Health next, long nowNanos) {
        health = next;
        changedAtNanos = nowNanos;
        return true;
    }
}
