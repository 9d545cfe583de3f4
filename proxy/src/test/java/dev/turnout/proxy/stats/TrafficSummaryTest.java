package dev.turnout.proxy.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficSummaryTest {

    @Test
    void itKeepsACopyInTheOrderGivenThatNobodyCanChange() {
        Map<String, TrafficSummary.Figures> pools = new LinkedHashMap<>();
        pools.put("stable", new TrafficSummary.Figures(3, 1, 0.01));
        pools.put("canary", new TrafficSummary.Figures(0, 0, null));
        Map<String, TrafficSummary.Figures> stable = new LinkedHashMap<>();
        stable.put("s2", new TrafficSummary.Figures(2, 1, 0.01));
        stable.put("s1", new TrafficSummary.Figures(1, 0, 0.001));
        Map<String, Map<String, TrafficSummary.Figures>> backends = new LinkedHashMap<>();
        backends.put("stable", stable);

        TrafficSummary summary = new TrafficSummary(5, pools, backends);
        pools.clear();
        stable.clear();

        assertEquals(List.of("stable", "canary"), List.copyOf(summary.pools().keySet()));
        assertEquals(List.of("s2", "s1"), List.copyOf(summary.backends().get("stable").keySet()));
        assertThrows(UnsupportedOperationException.class, () -> summary.pools().clear());
        assertThrows(UnsupportedOperationException.class, () -> summary.backends().get("stable").clear());
    }
}
