package dev.turnout.proxy.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The running totals a rollout judges: intervals by difference, and percentiles within the histogram's 12.5 %. */
class RequestTallyTest {

    @Test
    void bucketsCoverEveryDurationAndTheirMidpointsStayWithinAnEighth() {
        for (long micros = 0; micros < 10_000_000; micros = micros * 2 + 1) {
            double midpoint = RequestTally.midpointMicros(RequestTally.bucket(micros));
            assertEquals(micros, midpoint, Math.max(0.5, micros / 8.0), "bucket of " + micros + " µs");
        }
    }

    @Test
    void anIntervalIsTheDifferenceOfTwoSnapshots() {
        RequestTally tally = new RequestTally();
        for (int i = 0; i < 50; i++) {
            tally.record(200, 1_000_000);
        }
        RequestTally.Snapshot start = tally.snapshot();
        for (int i = 0; i < 100; i++) {
            tally.record(i < 10 ? 502 : 200, (i < 95 ? 2 : 40) * 1_000_000L);
        }
        RequestTally.Snapshot interval = tally.snapshot().since(start);

        assertEquals(100, interval.requests());
        assertEquals(10, interval.serverErrors());
        assertEquals(0.1, interval.errorRate(), 1e-9);
        assertEquals(0.002, interval.percentileSeconds(0.95), 0.002 / 8, "95 of 100 took 2 ms");
        assertEquals(0.040, interval.percentileSeconds(0.99), 0.040 / 8, "the slowest 5 took 40 ms");
        assertEquals(0, new RequestTally().snapshot().percentileSeconds(0.95), "no requests, no p95");
    }

    @Test
    void snapshotsAddUpCountsAndHistograms() {
        RequestTally fast = new RequestTally();
        RequestTally slow = new RequestTally();
        for (int i = 0; i < 90; i++) {
            fast.record(200, 1_000_000);
        }
        for (int i = 0; i < 10; i++) {
            slow.record(502, 80_000_000);
        }

        RequestTally.Snapshot both = RequestTally.Snapshot.EMPTY.plus(fast.snapshot()).plus(slow.snapshot());

        assertEquals(100, both.requests());
        assertEquals(10, both.serverErrors());
        assertEquals(0.080, both.percentileSeconds(0.95), 0.080 / 8, "the slowest tenth took 80 ms");
        assertEquals(0.001, both.percentileSeconds(0.5), 0.001 / 8);
        assertEquals(0, RequestTally.Snapshot.EMPTY.requests(), "adding leaves EMPTY empty");
    }
}
