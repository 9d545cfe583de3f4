package dev.turnout.proxy.control;

import dev.turnout.admin.ReloadView;
import dev.turnout.proxy.config.RouteConfig;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.PoolState;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;

/**
 * What differs between two states, by name: routes (any of their fields, splits included), pools (balancer,
 * health check, retries and the other pool settings), backends as {@code pool/id} (address, weight, admin state).
 */
record StateChanges(ReloadView.Changes routes, ReloadView.Changes pools, ReloadView.Changes backends) {

    static StateChanges between(RuntimeState before, RuntimeState after) {
        Map<String, RouteConfig> routesBefore = new TreeMap<>();
        before.routes().forEach(r -> routesBefore.put(r.name(), r));
        Map<String, RouteConfig> routesAfter = new TreeMap<>();
        after.routes().forEach(r -> routesAfter.put(r.name(), r));
        Map<String, BackendState> backendsBefore = backends(before);
        Map<String, BackendState> backendsAfter = backends(after);
        return new StateChanges(changes(routesBefore, routesAfter, Objects::equals),
                changes(new TreeMap<>(before.pools()), new TreeMap<>(after.pools()), StateChanges::samePool),
                changes(backendsBefore, backendsAfter, (a, b) -> a.config().address().equals(b.config().address())
                        && a.config().weight() == b.config().weight() && a.state() == b.state()));
    }

    private static boolean samePool(PoolState a, PoolState b) {
        return a.balancer() == b.balancer() && Objects.equals(a.healthCheck(), b.healthCheck())
                && a.resilience().equals(b.resilience());
    }

    private static Map<String, BackendState> backends(RuntimeState state) {
        Map<String, BackendState> byName = new TreeMap<>();
        state.pools().forEach((pool, p) -> p.backends().forEach(b -> byName.put(pool + "/" + b.config().id(), b)));
        return byName;
    }

    private static <T> ReloadView.Changes changes(Map<String, T> before, Map<String, T> after, BiPredicate<T, T> same) {
        Set<String> added = new TreeSet<>(after.keySet());
        added.removeAll(before.keySet());
        Set<String> removed = new TreeSet<>(before.keySet());
        removed.removeAll(after.keySet());
        Set<String> changed = new TreeSet<>();
        after.forEach((name, value) -> {
            T was = before.get(name);
            if (was != null && !same.test(was, value)) {
                changed.add(name);
            }
        });
        return new ReloadView.Changes(added.stream().toList(), removed.stream().toList(), changed.stream().toList());
    }
}
