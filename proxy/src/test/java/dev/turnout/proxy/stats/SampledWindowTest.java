package dev.turnout.proxy.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The status page's recent figures: the running totals now, less the oldest snapshot of the window. */
class SampledWindowTest {

    private final RequestTally tally = new RequestTally();

    private RequestTally.Snapshot after(int requests, int serverErrors) {
        for (int i = 0; i < requests; i++) {
            tally.record(i < serverErrors ? 503 : 200, 1_000_000);
        }
        return tally.snapshot();
    }

    @Test
    void whileTheWindowFillsEverythingCountedIsRecent() {
        SampledWindow window = new SampledWindow(2);
        assertEquals(7, window.recent(after(7, 2)).requests(), "before the first snapshot");
        window.add(tally.snapshot());
        window.add(after(3, 0));

        RequestTally.Snapshot recent = window.recent(after(5, 0));

        assertEquals(15, recent.requests(), "two snapshots of three: younger than the window");
        assertEquals(2, recent.serverErrors());
    }

    @Test
    void recentIsNowLessTheOldestSnapshotKept() {
        SampledWindow window = new SampledWindow(2);
        window.add(after(10, 0));
        window.add(after(10, 0));
        window.add(after(5, 0));
        window.add(after(10, 1));

        RequestTally.Snapshot recent = window.recent(after(1, 1));

        assertEquals(16, recent.requests(), "3 snapshots kept (20, 25, 35): now (36) less the oldest");
        assertEquals(2, recent.serverErrors());
    }

    @Test
    void totalsThatWentBackStartOver() {
        SampledWindow window = new SampledWindow(1);
        window.add(after(50, 0));
        window.add(after(50, 0));

        RequestTally fresh = new RequestTally();
        fresh.record(200, 1_000_000);

        assertEquals(1, window.recent(fresh.snapshot()).requests(), "removed and added again: only what it counted since");
    }

    @Test
    void aWindowIsAtLeastASecond() {
        assertThrows(IllegalArgumentException.class, () -> new SampledWindow(0));
    }
}
