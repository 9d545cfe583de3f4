package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Age, freshness and the stale windows of a stored answer (RFC 9111 4.2, RFC 5861). */
class FreshnessTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void ageCountsFromTheInitialAgeAndFreshnessEndsAtTheLifetime() {
        Freshness freshness = new Freshness(100 * SECOND, 5, 60, 0, 0, false);
        assertEquals(5, freshness.ageSeconds(100 * SECOND));
        assertEquals(5, freshness.ageSeconds(99 * SECOND), "a clock that steps back does not make it younger");
        assertTrue(freshness.fresh(154 * SECOND));
        assertFalse(freshness.fresh(155 * SECOND));
    }

    @Test
    void staleWindowsExtendTheLifetimeUnlessItMustBeRevalidated() {
        Freshness windows = new Freshness(0, 0, 10, 30, 20, false);
        assertTrue(windows.usableWhileRevalidating(29 * SECOND));
        assertFalse(windows.usableWhileRevalidating(30 * SECOND));
        assertTrue(windows.usableOnError(39 * SECOND));
        assertFalse(windows.usableOnError(40 * SECOND));
        Freshness strict = new Freshness(0, 0, 10, 30, 20, true);
        assertFalse(strict.usableWhileRevalidating(11 * SECOND));
        assertFalse(strict.usableOnError(11 * SECOND));
    }
}
