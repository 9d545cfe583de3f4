package dev.turnout.proxy.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.pool.Health;
import org.junit.jupiter.api.Test;

class HealthTrackerTest {

    private long now = 1_000;

    @Test
    void flipsOnlyAfterThresholdResultsInARow() {
        HealthTracker tracker = new HealthTracker(2, 3, Health.UNKNOWN, now);

        assertFalse(tracker.record(true, tick()));
        assertEquals(Health.UNKNOWN, tracker.health());
        assertTrue(tracker.record(true, tick()), "second good result in a row");
        assertEquals(Health.UP, tracker.health());
        assertEquals(now, tracker.changedAtNanos());

        assertFalse(tracker.record(false, tick()));
        assertFalse(tracker.record(false, tick()));
        assertFalse(tracker.record(true, tick()), "a good result breaks the run of bad ones");
        assertFalse(tracker.record(false, tick()));
        assertFalse(tracker.record(false, tick()));
        assertEquals(Health.UP, tracker.health());
        long flippedAt = tick();
        assertTrue(tracker.record(false, flippedAt));
        assertEquals(Health.DOWN, tracker.health());
        assertEquals(flippedAt, tracker.changedAtNanos());
    }

    @Test
    void repeatedResultsDoNotFlipAgain() {
        HealthTracker tracker = new HealthTracker(1, 1, Health.UP, now);

        assertFalse(tracker.record(true, tick()));
        assertTrue(tracker.record(false, tick()));
        long downSince = tracker.changedAtNanos();
        assertFalse(tracker.record(false, tick()));
        assertEquals(downSince, tracker.changedAtNanos(), "still down: the change time stays");
        assertTrue(tracker.record(true, tick()));
    }

    private long tick() {
        now += 1_000_000;
        return now;
    }
}
