package dev.turnout.proxy.pool;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What one pool keeps from snapshot to snapshot: its retry budget, and its place in the pick order.
 * A health change or a slow-start step publishes a new snapshot; were the order to start over each
 * time, the backend first in it would take more than its share.
 */
public record PoolCarryOver(RetryBudget retryBudget, AtomicLong pickCursor) {

    /** For a pool seen for the first time. */
    public static PoolCarryOver fresh() {
        return new PoolCarryOver(new RetryBudget(), new AtomicLong());
    }
}
