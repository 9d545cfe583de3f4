package dev.turnout.proxy.stats;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What metrics counted per pool and per backend of the routing snapshot in force. Counts are running totals, so
 * a reader that polls gets rates from the difference of two readings; p95s cover the last few seconds.
 *
 * @param p95WindowSeconds how far back each {@code p95Seconds} looks
 * @param pools            per pool name: every request routed to the pool, by any route, backend picked or not
 * @param backends         per pool name, then backend id: the requests that backend answered or failed
 */
public record TrafficSummary(int p95WindowSeconds, Map<String, Figures> pools, Map<String, Map<String, Figures>> backends) {

    public TrafficSummary {
        pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        Map<String, Map<String, Figures>> copy = new LinkedHashMap<>();
        backends.forEach((pool, byId) -> copy.put(pool, Collections.unmodifiableMap(new LinkedHashMap<>(byId))));
        backends = Collections.unmodifiableMap(copy);
    }

    /**
     * One pool's or backend's figures.
     *
     * @param requests   since it was first counted; only grows while it exists
     * @param errors     of those, the ones answered with a 5xx status
     * @param p95Seconds over the last {@code p95WindowSeconds}; null without a request in that time
     */
    public record Figures(long requests, long errors, Double p95Seconds) {
    }
}
