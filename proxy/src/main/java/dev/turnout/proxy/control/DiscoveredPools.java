package dev.turnout.proxy.control;

import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.control.RuntimeState.PoolState;
import dev.turnout.proxy.discovery.DiscoveredSet;
import dev.turnout.proxy.pool.AdminState;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What DNS discovery found for each pool, on this instance alone: never saved, never shared with a fleet (every
 * instance resolves on its own). {@link #over} lays it over the operator's intent to make the state a snapshot is
 * compiled from and the admin API looks backends up in.
 *
 * <p>An admin change to a discovered backend (a drain, a weight) is intent, kept in the {@link RuntimeState} as an
 * entry of origin {@link Origin#DISCOVERED}. It applies while DNS announces the backend's address, so a lookup never
 * undoes a drain, and goes when the address has vanished and drained. A vanished address drains whatever the admin
 * said, unless it was disabled, which keeps it out of rotation all the same.
 */
record DiscoveredPools(Map<String, DiscoveredSet> sets) {

    static final DiscoveredPools NONE = new DiscoveredPools(Map.of());

    DiscoveredPools {
        sets = Map.copyOf(sets);
    }

    DiscoveredSet set(String pool) {
        return sets.getOrDefault(pool, DiscoveredSet.NONE);
    }

    DiscoveredPools with(String pool, DiscoveredSet set) {
        Map<String, DiscoveredSet> next = new LinkedHashMap<>(sets);
        next.put(pool, set);
        return new DiscoveredPools(next);
    }

    /** Whether {@code pool}'s backend {@code id} is one discovery found. */
    boolean discovered(String pool, String id) {
        return set(pool).member(id) != null;
    }

    /**
     * {@code state} with an admin change to one of {@code pool}'s backends. A change that leaves a discovered backend as
     * DNS has it (active, at the record's weight) keeps nothing for it, so the record's weight applies again.
     */
    RuntimeState withChange(RuntimeState state, String pool, BackendState changed) {
        String id = changed.config().id();
        DiscoveredSet.Member member = set(pool).member(id);
        if (changed.origin() == Origin.DISCOVERED && member != null && changed.state() == AdminState.ACTIVE
                && changed.config().weight() == member.endpoint().weight()) {
            return state.pools().get(pool).backend(id) == null ? state : state.withoutBackend(pool, id);
        }
        return state.withBackend(pool, changed);
    }

    /**
     * {@code state} with each discovery pool's backends being those discovered, under the admin changes kept for them,
     * a vanished one draining: what a snapshot is compiled from.
     */
    RuntimeState over(RuntimeState state) {
        return layered(state, true);
    }

    /**
     * As {@link #over}, but a vanished backend shows the admin's intent, not its drain: what an admin change starts
     * from, so that a change made while an address is gone does not save its drain as intent.
     */
    RuntimeState intentOver(RuntimeState state) {
        return layered(state, false);
    }

    private RuntimeState layered(RuntimeState state, boolean drainVanished) {
        Map<String, PoolState> pools = new LinkedHashMap<>();
        state.pools().forEach((name, pool) -> {
            if (pool.discovery() == null) {
                pools.put(name, pool);
                return;
            }
            List<BackendState> backends = new ArrayList<>();
            pool.backends().stream().filter(b -> b.origin() != Origin.DISCOVERED).forEach(backends::add);
            for (DiscoveredSet.Member member : set(name).members().values()) {
                BackendState kept = pool.backend(member.endpoint().id());
                if (kept == null || kept.origin() == Origin.DISCOVERED) {
                    backends.add(backend(member, kept, drainVanished));
                }
            }
            pools.put(name, pool.withBackends(backends));
        });
        return new RuntimeState(pools, state.routes(), state.removedFromConfig(), state.rollouts());
    }

    private static BackendState backend(DiscoveredSet.Member member, BackendState kept, boolean drainVanished) {
        InetSocketAddress address = member.endpoint().address();
        BackendConfig config = new BackendConfig(member.endpoint().id(),
                new HostPort(address.getAddress().getHostAddress(), address.getPort()), address,
                kept != null ? kept.config().weight() : member.endpoint().weight());
        AdminState intent = kept != null ? kept.state() : AdminState.ACTIVE;
        AdminState state = drainVanished && member.vanished() && intent == AdminState.ACTIVE ? AdminState.DRAINING : intent;
        return new BackendState(config, state, Origin.DISCOVERED);
    }
}
