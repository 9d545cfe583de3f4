package dev.turnout.proxy.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficHistoryTest {

    private final RequestTally tally = new RequestTally();

    private void requests(int count, int status, long millis) {
        for (int i = 0; i < count; i++) {
            tally.record(status, millis * 1_000_000);
        }
    }

    @Test
    void eachSampleIsTheSecondSinceTheOneBefore() {
        TrafficHistory history = new TrafficHistory(5);
        history.sample(1000, Map.of("stable", tally.snapshot()), Map.of("stable/app1", tally.snapshot()));
        requests(18, 200, 4);
        requests(2, 503, 40);
        history.sample(3000, Map.of("stable", tally.snapshot()), Map.of("stable/app1", tally.snapshot()));
        history.sample(4000, Map.of("stable", tally.snapshot()), Map.of("stable/app1", tally.snapshot()));

        TrafficHistory.Samples samples = history.samples();
        assertEquals(Duration.ofSeconds(1), samples.interval());
        TrafficHistory.Series app1 = samples.backends().get("stable/app1");
        assertArrayEquals(new long[] {3000, 4000}, app1.timesMillis(), "the first reading only starts the series");
        assertArrayEquals(new double[] {10, 0}, app1.rps(), "20 requests over 2 s, then none");
        assertArrayEquals(new long[] {2, 0}, app1.errors());
        assertEquals(41.0, app1.p95Millis()[0], 41 * 0.125, "the 5xx took 40 ms: they are the slowest 10 %");
        assertTrue(Double.isNaN(app1.p95Millis()[1]), "a second without requests has no p95");
        assertArrayEquals(app1.timesMillis(), samples.pools().get("stable").timesMillis());
    }

    @Test
    void aFullRingKeepsTheNewestSamplesOnly() {
        TrafficHistory history = new TrafficHistory(3);
        for (int second = 0; second <= 7; second++) {
            requests(second, 200, 1);
            history.sample(second * 1000L, Map.of(), Map.of("p/b", tally.snapshot()));
        }
        TrafficHistory.Series series = history.samples().backends().get("p/b");
        assertArrayEquals(new long[] {5000, 6000, 7000}, series.timesMillis());
        assertArrayEquals(new double[] {5, 6, 7}, series.rps());
    }

    @Test
    void aBackendThatLeftDropsOutAndOneAddedAgainStartsOver() {
        TrafficHistory history = new TrafficHistory(10);
        history.sample(0, Map.of(), Map.of("p/b", tally.snapshot()));
        requests(3, 200, 1);
        history.sample(1000, Map.of(), Map.of("p/b", tally.snapshot()));
        history.sample(2000, Map.of(), Map.of());
        assertEquals(Map.of(), history.samples().backends());

        history.sample(3000, Map.of(), Map.of("p/b", new RequestTally().snapshot()));
        assertEquals(0, history.samples().backends().get("p/b").timesMillis().length);
    }
}
