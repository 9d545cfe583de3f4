package dev.turnout.proxy.control;

import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.Limits;
import dev.turnout.proxy.config.RouteConfig;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.control.RuntimeState.PoolState;
import dev.turnout.proxy.pool.AdminState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reload's state: the new configuration with the operator's runtime changes laid over it again. A runtime
 * change is whatever the running state holds that the configuration it was loaded from does not say: a
 * backend's admin state other than active, a weight other than the configured one, a split other than the
 * configured one, a backend added or removed at runtime, a rollout. Each is kept while it still fits (its
 * pool, backend at the same address, route and pools exist); one that does not is dropped, logged, and listed
 * so that the caller can audit it. What the new file says applies everywhere else, weights included.
 */
final class RuntimeChanges {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeChanges.class);

    /** The state to run by, and the runtime changes dropped from it, each in words. */
    record Reapplied(RuntimeState state, List<String> dropped) {

        Reapplied {
            dropped = List.copyOf(dropped);
        }
    }

    private final RuntimeState current;
    private final RuntimeState oldConfigured;
    private final RuntimeState newConfigured;
    private final List<String> dropped = new ArrayList<>();

    private RuntimeChanges(RuntimeState current, RuntimeState oldConfigured, RuntimeState newConfigured) {
        this.current = current;
        this.oldConfigured = oldConfigured;
        this.newConfigured = newConfigured;
    }

    /**
     * @param current       the state in force: {@code oldConfigured} with the runtime changes laid over it
     * @param oldConfigured the state the configuration in force says, before any runtime change
     * @param newConfigured the state the new configuration says
     */
    static Reapplied reapply(RuntimeState current, RuntimeState oldConfigured, RuntimeState newConfigured) {
        return new RuntimeChanges(current, oldConfigured, newConfigured).merge();
    }

    private Reapplied merge() {
        Map<String, PoolState> pools = new LinkedHashMap<>();
        Map<String, Set<String>> removed = new LinkedHashMap<>();
        newConfigured.pools().forEach((name, pool) -> {
            Set<String> keptRemovals = new LinkedHashSet<>();
            pools.put(name, pool.withBackends(backends(name, pool, keptRemovals)));
            if (!keptRemovals.isEmpty()) {
                removed.put(name, keptRemovals);
            }
        });
        current.pools().forEach((name, pool) -> {
            if (!newConfigured.pools().containsKey(name)) {
                pool.backends().forEach(b -> changesOf(name, b).forEach(change ->
                        drop(change, "pool " + name + " is no longer configured")));
            }
        });
        RuntimeState merged = new RuntimeState(pools, newConfigured.routes(), removed, Map.of());
        merged = splits(merged);
        return new Reapplied(rollouts(merged), dropped);
    }

    /** The new configuration's backends of one pool with their runtime state, then those added at runtime. */
    private List<BackendState> backends(String pool, PoolState configured, Set<String> keptRemovals) {
        PoolState running = current.pools().get(pool);
        PoolState wasConfigured = oldConfigured.pools().get(pool);
        Set<String> removedAtRuntime = current.removedFromConfig().getOrDefault(pool, Set.of());
        List<BackendState> backends = new ArrayList<>();
        for (BackendState next : configured.backends()) {
            String id = next.config().id();
            BackendState was = wasConfigured == null ? null : wasConfigured.backend(id);
            if (removedAtRuntime.contains(id)) {
                if (was != null && sameAddress(was, next)) {
                    keptRemovals.add(id);
                    continue;
                }
                drop("the removal of " + pool + "/" + id, "it is now configured at " + next.config().address());
            }
            BackendState now = running == null ? null : running.backend(id);
            if (now == null) {
                backends.add(next);
            } else if (!sameAddress(now, next)) {
                changesOf(pool, now).forEach(change -> drop(change, "its address changed from " + now.config().address()
                        + " to " + next.config().address()));
                backends.add(next);
            } else {
                // Same backend: its admin state is always the operator's; its weight is the operator's only if changed.
                boolean weightChanged = now.origin() != Origin.CONFIG || was == null
                        || was.config().weight() != now.config().weight();
                int weight = weightChanged ? now.config().weight() : next.config().weight();
                backends.add(new BackendState(withWeight(next.config(), weight), now.state(), Origin.CONFIG));
            }
        }
        if (running != null) {
            // Added over the admin API, or an admin change to a discovered backend: kept as they are.
            for (BackendState added : running.backends()) {
                if (added.origin() == Origin.CONFIG || configured.backend(added.config().id()) != null) {
                    continue;
                }
                backends.add(added);
            }
            for (BackendState was : running.backends()) {
                BackendState next = configured.backend(was.config().id());
                if (next == null && was.origin() == Origin.CONFIG) {
                    changesOf(pool, was).forEach(change -> drop(change, "the backend is no longer configured"));
                }
            }
        }
        return backends;
    }

    /** Each route's split from the running state where it differs from the configured one and still fits. */
    private RuntimeState splits(RuntimeState merged) {
        RuntimeState result = merged;
        for (RouteConfig running : current.routes()) {
            RouteConfig wasConfigured = oldConfigured.route(running.name());
            if (wasConfigured != null && wasConfigured.split().equals(running.split())) {
                continue;
            }
            String what = "the split " + running.split() + " of route " + running.name();
            if (merged.route(running.name()) == null) {
                drop(what, "the route is no longer configured");
                continue;
            }
            String problem = Limits.splitProblem(running.split(), merged.pools().keySet());
            if (problem != null) {
                drop(what, problem);
                continue;
            }
            result = result.withSplit(running.name(), running.split());
        }
        return result;
    }

    /** Rollouts, running or ended, while their route and both pools exist. */
    private RuntimeState rollouts(RuntimeState merged) {
        Map<String, Rollout> kept = new LinkedHashMap<>();
        current.rollouts().forEach((route, rollout) -> {
            String missing = merged.route(route) == null ? "the route is no longer configured"
                    : !merged.pools().containsKey(rollout.from()) ? "pool " + rollout.from() + " is no longer configured"
                    : !merged.pools().containsKey(rollout.to()) ? "pool " + rollout.to() + " is no longer configured"
                    : null;
            if (missing == null) {
                kept.put(route, rollout);
            } else {
                drop("the " + rollout.state() + " rollout on route " + route + " from " + rollout.from() + " to "
                        + rollout.to(), missing);
            }
        });
        return merged.withRollouts(kept);
    }

    /** The runtime changes a backend carries, in words: added, or its state and weight where they differ. */
    private List<String> changesOf(String pool, BackendState backend) {
        String name = pool + "/" + backend.config().id();
        if (backend.origin() == Origin.RUNTIME) {
            return List.of("the backend " + name + " added at runtime (" + backend.config().address() + ")");
        }
        List<String> changes = new ArrayList<>();
        if (backend.state() != AdminState.ACTIVE) {
            changes.add("the " + backend.state().configName() + " state of " + name);
        }
        PoolState wasPool = oldConfigured.pools().get(pool);
        BackendState was = wasPool == null ? null : wasPool.backend(backend.config().id());
        if (was != null && was.config().weight() != backend.config().weight()) {
            changes.add("the weight " + backend.config().weight() + " of " + name);
        }
        return changes;
    }

    private void drop(String change, String why) {
        String line = change + ": " + why;
        LOG.warn("configuration reload: runtime change dropped, as it no longer fits: {}", line);
        dropped.add(line);
    }

    private static boolean sameAddress(BackendState a, BackendState b) {
        return a.config().address().equals(b.config().address());
    }

    private static BackendConfig withWeight(BackendConfig config, int weight) {
        return new BackendConfig(config.id(), config.address(), config.socketAddress(), weight);
    }
}
