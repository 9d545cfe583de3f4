package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * The status page's one read a second ({@code GET /api/v1/summary}): every route with its split and
 * rollout, every pool with its backends and their traffic, and the server's time, so that the page
 * turns the running totals of two readings into rates. Traffic fields are null when metrics are off.
 *
 * @param metrics          whether traffic is counted at all
 * @param p95WindowSeconds how far back each {@code p95-seconds} looks; null when metrics are off
 * @param turnout          this process: version, uptime, client connections, cache hit ratio
 */
@JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
record StatusSummary(String time, long timeMillis, boolean metrics, Integer p95WindowSeconds, InstanceView turnout,
        List<RouteStatus> routes, List<PoolStatus> pools) {

    private static final TrafficView.Figures NOT_COUNTED_YET = new TrafficView.Figures(0, 0, null);

    static StatusSummary of(ControlPlane control, Instant now) {
        Instant millis = now.truncatedTo(ChronoUnit.MILLIS);
        TrafficView traffic = control.traffic();
        List<RouteStatus> routes = control.routes().stream()
                .map(route -> new RouteStatus(route, lastRollout(control, route.name()))).toList();
        List<PoolStatus> pools = control.pools().stream().map(pool -> PoolStatus.of(pool, traffic)).toList();
        return new StatusSummary(millis.toString(), millis.toEpochMilli(), traffic != null,
                traffic == null ? null : traffic.p95WindowSeconds(), control.instance(), routes, pools);
    }

    private static RolloutView lastRollout(ControlPlane control, String route) {
        try {
            return control.rollout(route);
        } catch (ControlException neverHadOne) {
            return null;
        }
    }

    /** A route as {@code GET /api/v1/routes} shows it, with its current or last rollout (or null). */
    record RouteStatus(@JsonUnwrapped RouteView route, RolloutView rollout) {
    }

    /** A pool with every request routed to it: totals, and the p95 of the last seconds. */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    record PoolStatus(String name, String balancer, String healthCheck, Long requests, Long errors, Double p95Seconds,
            List<BackendStatus> backends) {

        static PoolStatus of(PoolView pool, TrafficView traffic) {
            if (traffic == null) {
                return new PoolStatus(pool.name(), pool.balancer(), pool.healthCheck(), null, null, null,
                        pool.backends().stream().map(b -> BackendStatus.of(b, null)).toList());
            }
            Map<String, TrafficView.Figures> byId = traffic.backends().getOrDefault(pool.name(), Map.of());
            TrafficView.Figures total = traffic.pools().getOrDefault(pool.name(), NOT_COUNTED_YET);
            return new PoolStatus(pool.name(), pool.balancer(), pool.healthCheck(), total.requests(), total.errors(),
                    total.p95Seconds(),
                    pool.backends().stream().map(b -> BackendStatus.of(b, byId.getOrDefault(b.id(), NOT_COUNTED_YET)))
                            .toList());
        }
    }

    /** A backend as {@code GET /api/v1/pools} shows it, with its traffic (null fields when metrics are off). */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    record BackendStatus(@JsonUnwrapped BackendView backend, Long requests, Long errors, Double p95Seconds) {

        static BackendStatus of(BackendView backend, TrafficView.Figures figures) {
            return figures == null ? new BackendStatus(backend, null, null, null)
                    : new BackendStatus(backend, figures.requests(), figures.errors(), figures.p95Seconds());
        }
    }
}
