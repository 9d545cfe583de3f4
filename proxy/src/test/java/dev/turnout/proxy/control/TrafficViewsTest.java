package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnout.admin.HistoryView;
import dev.turnout.admin.TrafficView;
import dev.turnout.proxy.stats.TrafficHistory;
import dev.turnout.proxy.stats.TrafficSummary;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What metrics counted, shown by the admin API as it was before metrics had records of their own. */
class TrafficViewsTest {

    @Test
    void trafficFiguresAreShownFieldForFieldInTheirOrder() {
        Map<String, TrafficSummary.Figures> pools = new LinkedHashMap<>();
        pools.put("stable", new TrafficSummary.Figures(65, 15, 0.04));
        pools.put("canary", new TrafficSummary.Figures(0, 0, null));
        Map<String, Map<String, TrafficSummary.Figures>> backends = new LinkedHashMap<>();
        Map<String, TrafficSummary.Figures> stable = new LinkedHashMap<>();
        stable.put("s2", new TrafficSummary.Figures(25, 5, 0.04));
        stable.put("s1", new TrafficSummary.Figures(40, 10, 0.002));
        backends.put("stable", stable);
        backends.put("canary", Map.of("c1", new TrafficSummary.Figures(0, 0, null)));

        TrafficView shown = TrafficViews.of(new TrafficSummary(5, pools, backends));

        assertEquals(5, shown.p95WindowSeconds());
        assertEquals(List.of("stable", "canary"), List.copyOf(shown.pools().keySet()));
        assertEquals(new TrafficView.Figures(65, 15, 0.04), shown.pools().get("stable"));
        assertEquals(new TrafficView.Figures(0, 0, null), shown.pools().get("canary"), "no p95 without requests");
        assertEquals(List.of("s2", "s1"), List.copyOf(shown.backends().get("stable").keySet()));
        assertEquals(new TrafficView.Figures(40, 10, 0.002), shown.backends().get("stable").get("s1"));
        assertEquals(Map.of("c1", new TrafficView.Figures(0, 0, null)), shown.backends().get("canary"));
    }

    @Test
    void historyIsShownWithItsIntervalInSecondsAndNullForASecondWithoutRequests() {
        Map<String, TrafficHistory.Series> backends = new LinkedHashMap<>();
        backends.put("stable/app1", new TrafficHistory.Series(new long[] {3000, 4000}, new double[] {10, 0},
                new long[] {2, 0}, new double[] {41.5, Double.NaN}));
        backends.put("stable/app2", new TrafficHistory.Series(new long[0], new double[0], new long[0], new double[0]));
        Map<String, TrafficHistory.Series> pools = Map.of("stable", new TrafficHistory.Series(new long[] {3000},
                new double[] {10}, new long[] {2}, new double[] {41.5}));

        HistoryView shown = TrafficViews.of(new TrafficHistory.Samples(Duration.ofSeconds(1), backends, pools));

        assertEquals("1s", shown.interval());
        assertEquals(List.of("stable/app1", "stable/app2"), List.copyOf(shown.backends().keySet()));
        HistoryView.Series app1 = shown.backends().get("stable/app1");
        assertArrayEquals(new long[] {3000, 4000}, app1.t());
        assertArrayEquals(new double[] {10, 0}, app1.rps());
        assertArrayEquals(new long[] {2, 0}, app1.errors());
        assertArrayEquals(new Double[] {41.5, null}, app1.p95Ms());
        assertEquals(0, shown.backends().get("stable/app2").t().length);
        assertArrayEquals(new Double[] {41.5}, shown.pools().get("stable").p95Ms());
    }
}
