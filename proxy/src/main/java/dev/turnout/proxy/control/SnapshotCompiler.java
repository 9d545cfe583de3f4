package dev.turnout.proxy.control;

import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.pool.RetryBudget;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Compiles a {@link RuntimeState} (discovered backends laid over it) into a routing snapshot for
 * {@link RuntimeControl}, reusing the {@link Backend} of every backend whose pool, id and address
 * are unchanged, so its in-flight count and pooled connections carry over; and says which backends
 * keep idle connections. Called under {@link RuntimeControl}'s lock.
 */
final class SnapshotCompiler {

    /** A snapshot and its backends by {@code pool/id}. */
    record Compiled(RouteTable table, Map<String, Backend> backends) {
    }

    private final Map<String, RetryBudget> retryBudgets = new HashMap<>();
    private final RoutePolicies policies;

    /** @param policies each route's rules, kept across snapshots so that rate-limit buckets survive a change */
    SnapshotCompiler(RoutePolicies policies) {
        this.policies = policies;
    }

    /**
     * @param previous the backends of the snapshot in force, by {@code pool/id}
     */
    Compiled compile(RuntimeState next, Map<String, Backend> previous, long nowNanos) {
        Set<String> serving = previous.values().stream().map(Backend::poolName).collect(Collectors.toSet());
        Map<String, Backend> nextBackends = new HashMap<>();
        Map<String, Pool> pools = new LinkedHashMap<>();
        next.pools().forEach((name, pool) -> {
            List<PoolMember> members = new ArrayList<>();
            for (BackendState b : pool.backends()) {
                String key = name + "/" + b.config().id();
                String address = b.config().address().toString();
                Backend backend = previous.get(key);
                if (backend == null || !backend.address().equals(address)) {
                    backend = new Backend(name, b.config().id(), address, b.config().socketAddress());
                    joins(backend, b.origin(), pool.healthCheck() != null, serving.contains(name), nowNanos);
                }
                nextBackends.put(key, backend);
                members.add(PoolMember.of(backend, b.config().weight(), b.state()));
            }
            RetryBudget budget = retryBudgets.computeIfAbsent(name, n -> new RetryBudget(pool.resilience().retryBudgetPercent()));
            pools.put(name, new Pool(name, pool.balancer(), members, pool.healthCheck(), pool.resilience(), budget, nowNanos));
        });
        List<Route> routes = next.routes().stream()
                .map(r -> new Route(r, pools, policies))
                .toList();
        return new Compiled(new RouteTable(routes, pools), nextBackends);
    }

    /** Backends out of rotation keep no idle connections; those in rotation do. */
    static void applyConnectionPolicy(RouteTable table, Consumer<Backend> closeIdleConnections) {
        Map<Backend, Boolean> keep = new HashMap<>();
        for (Pool pool : table.pools().values()) {
            for (PoolMember member : pool.members()) {
                keep.put(member.backend(), member.state() == AdminState.ACTIVE);
            }
        }
        for (Map.Entry<Backend, Boolean> entry : keep.entrySet()) {
            Backend backend = entry.getKey();
            backend.keepConnections(entry.getValue());
            if (!entry.getValue()) {
                closeIdleConnections.accept(backend);
            }
        }
    }

    /**
     * How a new backend comes in. One added at runtime to a checked pool takes no traffic until a probe says it is up;
     * so does one discovered later in a checked pool that already serves, and in a pool without checks such a one
     * ramps up through slow start at once. The backends a pool starts with (configured, or the first answer) do neither.
     */
    private static void joins(Backend backend, Origin origin, boolean checked, boolean poolServes, long nowNanos) {
        boolean discoveredLater = origin == Origin.DISCOVERED && poolServes;
        backend.mustProveHealthy(checked && (origin == Origin.RUNTIME || discoveredLater));
        if (discoveredLater && !checked) {
            backend.startRamp(nowNanos);
        }
    }
}
