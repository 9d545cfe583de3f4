package dev.turnout.proxy.control;

import dev.turnout.proxy.config.DataPlaneSettings;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolCarryOver;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Builds and publishes the routing snapshots of a {@link RuntimeState}: the one place where pools and their
 * backends are (re)built, at start, on every admin change, health flip, fleet update and DNS answer, and on a
 * reload. The backends discovery found are laid over each state first, and each route gets its rules.
 *
 * <p>A backend whose pool, id and address are unchanged keeps its {@link Backend} object, so its in-flight
 * count, pooled connections, health, ramp and counters carry over any change; one that leaves is retired and
 * its idle connections are closed. Not thread-safe: {@link RuntimeControl} calls it under its lock.
 */
final class SnapshotCompiler {

    /** A snapshot, and its backends by {@code pool/id}. */
    record Compiled(RouteTable table, Map<String, Backend> backends) {
    }

    private final Consumer<Backend> closeIdleConnections;
    private final UnaryOperator<RuntimeState> withDiscovered;
    private final RoutePolicies policies;
    private final Map<String, PoolCarryOver> poolCarryOvers = new HashMap<>();
    private final Map<String, AtomicLong> splitCursors = new HashMap<>();
    private final RoutingState routing;
    private Map<String, Backend> backends = Map.of();

    /**
     * Compiles {@code initial} as the first snapshot.
     *
     * @param withDiscovered       lays the discovered backends over a state
     * @param policies             each route's rules, kept across snapshots so that rate-limit buckets survive a change
     * @param closeIdleConnections closes the pooled idle connections of a backend that left rotation
     */
    SnapshotCompiler(RuntimeState initial, DataPlaneSettings settings, UnaryOperator<RuntimeState> withDiscovered,
            RoutePolicies policies, Consumer<Backend> closeIdleConnections) {
        this.closeIdleConnections = closeIdleConnections;
        this.withDiscovered = withDiscovered;
        this.policies = policies;
        Compiled first = compile(initial, settings);
        this.backends = first.backends();
        this.routing = new RoutingState(first.table());
        applyConnectionPolicy(first.table());
    }

    RoutingState routing() {
        return routing;
    }

    /** The backend in force by pool and id, or null. */
    Backend backend(String pool, String id) {
        return backends.get(pool + "/" + id);
    }

    /** A snapshot of {@code next} with the settings in force. */
    Compiled compile(RuntimeState next) {
        return compile(next, routing.current().settings());
    }

    /** A snapshot of {@code next} with {@code settings}; nothing is published. */
    Compiled compile(RuntimeState next, DataPlaneSettings settings) {
        long now = System.nanoTime();
        Set<String> serving = backends.values().stream().map(Backend::poolName).collect(Collectors.toSet());
        Map<String, Backend> nextBackends = new HashMap<>();
        Map<String, Pool> pools = new LinkedHashMap<>();
        withDiscovered.apply(next).pools().forEach((name, pool) -> {
            List<PoolMember> members = new ArrayList<>();
            for (BackendState b : pool.backends()) {
                String key = name + "/" + b.config().id();
                String address = b.config().address().toString();
                Backend backend = backends.get(key);
                if (backend == null || !backend.address().equals(address)) {
                    backend = new Backend(name, b.config().id(), address, b.config().socketAddress());
                    joins(backend, b.origin(), pool.healthCheck() != null, serving.contains(name), now);
                }
                nextBackends.put(key, backend);
                members.add(PoolMember.of(backend, b.config().weight(), b.state()));
            }
            // One per pool name for good: its retries in flight, counts and pick order carry over every snapshot.
            PoolCarryOver carryOver = poolCarryOvers.computeIfAbsent(name, n -> PoolCarryOver.fresh());
            pools.put(name, new Pool(name, pool.balancer(), members, pool.healthCheck(), pool.resilience(), carryOver,
                    pool.transport(), now));
        });
        List<Route> routes = next.routes().stream().map(r -> new Route(r, pools, policies,
                splitCursors.computeIfAbsent(r.name(), n -> new AtomicLong()))).toList();
        return new Compiled(new RouteTable(routes, pools, settings), nextBackends);
    }

    /**
     * Puts {@code compiled} in force: retires the backends it no longer has, publishes it, tells
     * {@code listeners}, then closes the retired backends' idle connections.
     */
    void publish(Compiled compiled, Consumer<RouteTable> listeners) {
        Map<String, Backend> previous = backends;
        backends = compiled.backends();
        List<Backend> gone = previous.entrySet().stream().filter(e -> backends.get(e.getKey()) != e.getValue())
                .map(Map.Entry::getValue).toList();
        // Retired before the listeners hear of it, so metrics can drop its series for good.
        gone.forEach(Backend::retire);
        // A pool or route the snapshot no longer has lets go of what it carried; one that comes back starts over.
        poolCarryOvers.keySet().retainAll(compiled.table().pools().keySet());
        splitCursors.keySet().retainAll(compiled.table().routes().stream().map(Route::name).toList());
        routing.publish(compiled.table());
        applyConnectionPolicy(compiled.table());
        listeners.accept(compiled.table());
        for (Backend backend : gone) {
            backend.keepConnections(false);
            closeIdleConnections.accept(backend);
        }
    }

    /** Backends out of rotation keep no idle connections; those in rotation do. */
    private void applyConnectionPolicy(RouteTable table) {
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
