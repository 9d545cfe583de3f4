package dev.turnout.proxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private static int tokens(RetryBudget budget, int percent, int poolInflight, int busiestInflight) {
        int taken = 0;
        while (budget.tryAcquire(poolInflight, busiestInflight, percent)) {
            taken++;
        }
        return taken;
    }

    @Test
    void aQuietPoolMayStillRetryAFew() {
        assertEquals(3, tokens(new RetryBudget(), 20, 2, 1));
    }

    @Test
    void theBusiestBackendsRequestsMayAllBeRetriedAtOnce() {
        // 30 in flight over three backends, 12 on the busiest: 20 % would allow 6, one crash needs 12.
        assertEquals(12, tokens(new RetryBudget(), 20, 30, 12));
    }

    @Test
    void aLargerShareOfThePoolWinsOverTheBusiestBackend() {
        assertEquals(50, tokens(new RetryBudget(), 50, 100, 10));
    }

    /** The percentage comes with each call (from the pool's snapshot), so a reload changes it for the next retry. */
    @Test
    void theShareInForceIsTheOneOfTheCall() {
        RetryBudget budget = new RetryBudget();
        assertEquals(10, tokens(budget, 10, 100, 1));
        assertEquals(10, tokens(budget, 20, 100, 1), "ten more, up to 20 % of 100");
    }

    @Test
    void aReleasedTokenMayBeTakenAgainAndRetriesAreCountedByReason() {
        RetryBudget budget = new RetryBudget();
        assertEquals(3, tokens(budget, 20, 0, 0));
        assertFalse(budget.tryAcquire(0, 0, 20));
        budget.release();
        assertTrue(budget.tryAcquire(0, 0, 20));

        budget.retried(RetryReason.CONNECT_REFUSED);
        budget.retried(RetryReason.CONNECT_REFUSED);
        budget.retried(RetryReason.CLOSED_BEFORE_ANSWER);
        assertEquals(2, budget.retries(RetryReason.CONNECT_REFUSED));
        assertEquals(1, budget.retries(RetryReason.CLOSED_BEFORE_ANSWER));
        assertEquals(0, budget.retries(RetryReason.CONNECT_TIMEOUT));
    }
}
