package dev.turnout.proxy.control;

import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.DiscoveryConfig;
import dev.turnout.proxy.config.HealthCheckConfig;
import dev.turnout.proxy.config.PoolConfig;
import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.config.ResilienceConfig;
import dev.turnout.proxy.config.RouteConfig;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.pool.AdminState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The operator's intent as it stands: the configured fleet plus every change made over the admin
 * API. Immutable; each change makes a new one, which is compiled into a routing snapshot and
 * saved to the state file.
 *
 * @param removedFromConfig per pool, the ids of configured backends removed at runtime, so that a
 *                          restart does not bring them back
 * @param rollouts          per route, its running or last rollout
 */
record RuntimeState(Map<String, PoolState> pools, List<RouteConfig> routes, Map<String, Set<String>> removedFromConfig,
        Map<String, Rollout> rollouts) {

    RuntimeState {
        pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        routes = List.copyOf(routes);
        Map<String, Set<String>> removed = new LinkedHashMap<>();
        removedFromConfig.forEach((pool, ids) -> removed.put(pool, Collections.unmodifiableSet(new LinkedHashSet<>(ids))));
        removedFromConfig = Collections.unmodifiableMap(removed);
        rollouts = Collections.unmodifiableMap(new LinkedHashMap<>(rollouts));
    }

    /**
     * A pool's backends in order, with their runtime weight and state.
     *
     * @param discovery where the pool's backends come from when DNS discovers them, or null; its {@code backends} are
     *                  then only those an admin changed ({@link DiscoveredPools} lays the discovered ones over them)
     */
    record PoolState(String name, PoolConfig.Balancer balancer, List<BackendState> backends, HealthCheckConfig healthCheck,
            ResilienceConfig resilience, DiscoveryConfig discovery,
            PoolTransport transport) {

        PoolState {
            backends = List.copyOf(backends);
        }

        PoolState withBackends(List<BackendState> next) {
            return new PoolState(name, balancer, next, healthCheck, resilience, discovery, transport);
        }

        BackendState backend(String id) {
            return backends.stream().filter(b -> b.config().id().equals(id)).findFirst().orElse(null);
        }
    }

    /** Where a backend came from, as the state file records it. */
    enum Origin {
        /** The configuration file. */
        CONFIG,
        /** The admin API. */
        RUNTIME,
        /** DNS discovery; the state holds such a backend only while an admin change to it applies. */
        DISCOVERED;

        String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    record BackendState(BackendConfig config, AdminState state, Origin origin) {

        BackendState withState(AdminState newState) {
            return new BackendState(config, newState, origin);
        }

        BackendState withWeight(int weight) {
            return new BackendState(new BackendConfig(config.id(), config.address(), config.socketAddress(), weight), state,
                    origin);
        }
    }

    static RuntimeState fromConfig(TurnoutConfig config) {
        Map<String, PoolState> pools = new LinkedHashMap<>();
        config.pools().forEach((name, pool) -> pools.put(name, new PoolState(name, pool.balancer(),
                pool.backends().stream().map(b -> new BackendState(b, AdminState.ACTIVE, Origin.CONFIG)).toList(),
                pool.healthCheck(), pool.resilience(), pool.discovery(), pool.transport())));
        return new RuntimeState(pools, config.routes(), Map.of(), Map.of());
    }

    RouteConfig route(String name) {
        return routes.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null);
    }

    /** This state with {@code backend} replacing the one of the same id, or appended. */
    RuntimeState withBackend(String pool, BackendState backend) {
        PoolState current = pools.get(pool);
        List<BackendState> backends = new ArrayList<>(current.backends());
        int at = indexOf(backends, backend.config().id());
        if (at < 0) {
            backends.add(backend);
        } else {
            backends.set(at, backend);
        }
        Map<String, Set<String>> removed = new LinkedHashMap<>(removedFromConfig);
        Set<String> ids = new LinkedHashSet<>(removed.getOrDefault(pool, Set.of()));
        ids.remove(backend.config().id());
        removed.put(pool, ids);
        return withPool(current.withBackends(backends), removed);
    }

    RuntimeState withoutBackend(String pool, String id) {
        PoolState current = pools.get(pool);
        List<BackendState> backends = new ArrayList<>(current.backends());
        BackendState gone = backends.remove(indexOf(backends, id));
        Map<String, Set<String>> removed = new LinkedHashMap<>(removedFromConfig);
        if (gone.origin() == Origin.CONFIG) {
            Set<String> ids = new LinkedHashSet<>(removed.getOrDefault(pool, Set.of()));
            ids.add(id);
            removed.put(pool, ids);
        }
        return withPool(current.withBackends(backends), removed);
    }

    RuntimeState withSplit(String route, Map<String, Integer> split) {
        List<RouteConfig> next = routes.stream()
                .map(r -> r.name().equals(route) ? r.withSplit(split) : r)
                .toList();
        return new RuntimeState(pools, next, removedFromConfig, rollouts);
    }

    RuntimeState withRollout(String route, Rollout rollout) {
        Map<String, Rollout> next = new LinkedHashMap<>(rollouts);
        next.put(route, rollout);
        return new RuntimeState(pools, routes, removedFromConfig, next);
    }

    RuntimeState withRollouts(Map<String, Rollout> next) {
        return new RuntimeState(pools, routes, removedFromConfig, next);
    }

    private RuntimeState withPool(PoolState pool, Map<String, Set<String>> removed) {
        Map<String, PoolState> next = new LinkedHashMap<>(pools);
        next.put(pool.name(), pool);
        return new RuntimeState(next, routes, removed, rollouts);
    }

    private static int indexOf(List<BackendState> backends, String id) {
        for (int i = 0; i < backends.size(); i++) {
            if (backends.get(i).config().id().equals(id)) {
                return i;
            }
        }
        return -1;
    }
}
