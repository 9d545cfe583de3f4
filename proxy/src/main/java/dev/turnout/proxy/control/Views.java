package dev.turnout.proxy.control;

import dev.turnout.admin.BackendView;
import dev.turnout.admin.PoolView;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/** The admin API's views of a routing snapshot, so that what it shows is what the data plane routes by. */
final class Views {

    private Views() {
    }

    static PoolView pool(Pool pool, BiFunction<String, PoolMember, BackendView> backendView) {
        return new PoolView(pool.name(), pool.balancer().configName(),
                pool.members().stream().map(m -> backendView.apply(pool.name(), m)).toList(),
                pool.healthCheck() == null ? null : pool.healthCheck().path());
    }

    /** In a fleet, {@code inflight} counts every instance's requests, and {@code fleet} shows them per instance. */
    static BackendView backend(String pool, PoolMember member, StateStore store, boolean discovered) {
        Backend b = member.backend();
        int inflight = b.inflight();
        Map<String, Integer> fleet = null;
        if (store.shared()) {
            fleet = new TreeMap<>(store.othersInflight(pool + "/" + b.id()));
            fleet.put(store.instance(), inflight);
            inflight = fleet.values().stream().mapToInt(Integer::intValue).sum();
        }
        return new BackendView(pool, b.id(), b.address(), member.weight(), member.state().displayName(inflight),
                member.health().displayName(), inflight, member.ejected(), discovered, fleet);
    }
}
