package dev.turnout.proxy.control;

import dev.turnout.admin.HistoryView;
import dev.turnout.admin.TrafficView;
import dev.turnout.proxy.stats.TrafficHistory;
import dev.turnout.proxy.stats.TrafficSummary;
import java.util.LinkedHashMap;
import java.util.Map;

/** What metrics counted, as the admin API shows it: {@code GET /api/v1/summary}'s traffic and {@code GET /api/v1/history}. */
final class TrafficViews {

    private TrafficViews() {
    }

    static TrafficView of(TrafficSummary traffic) {
        Map<String, TrafficView.Figures> pools = new LinkedHashMap<>();
        traffic.pools().forEach((pool, figures) -> pools.put(pool, figures(figures)));
        Map<String, Map<String, TrafficView.Figures>> backends = new LinkedHashMap<>();
        traffic.backends().forEach((pool, byId) -> {
            Map<String, TrafficView.Figures> ids = new LinkedHashMap<>();
            byId.forEach((id, figures) -> ids.put(id, figures(figures)));
            backends.put(pool, ids);
        });
        return new TrafficView(traffic.p95WindowSeconds(), pools, backends);
    }

    static HistoryView of(TrafficHistory.Samples history) {
        return new HistoryView(history.interval().toSeconds() + "s", series(history.backends()), series(history.pools()));
    }

    private static TrafficView.Figures figures(TrafficSummary.Figures figures) {
        return new TrafficView.Figures(figures.requests(), figures.errors(), figures.p95Seconds());
    }

    private static Map<String, HistoryView.Series> series(Map<String, TrafficHistory.Series> byName) {
        Map<String, HistoryView.Series> series = new LinkedHashMap<>();
        byName.forEach((name, samples) -> {
            double[] p95Millis = samples.p95Millis();
            // A second without requests has no p95: null in the answer.
            Double[] p95 = new Double[p95Millis.length];
            for (int i = 0; i < p95.length; i++) {
                p95[i] = Double.isNaN(p95Millis[i]) ? null : p95Millis[i];
            }
            series.put(name, new HistoryView.Series(samples.timesMillis(), samples.rps(), samples.errors(), p95));
        });
        return series;
    }
}
