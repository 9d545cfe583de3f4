package dev.turnout.proxy.control;

import dev.turnout.admin.BackendView;
import dev.turnout.admin.ControlException;
import dev.turnout.admin.PoolView;
import dev.turnout.admin.RouteView;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.route.RouteTable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiPredicate;

/**
 * The admin API's reads, each taken from one published snapshot, so what it shows is what the data plane
 * routes by. In a fleet a backend's {@code inflight} counts every instance's requests ({@code fleet} shows
 * them per instance).
 */
final class SnapshotViews {

    private final RoutingState routing;
    private final StateStore store;
    private final BiPredicate<String, String> discovered;

    /** @param discovered whether the backend of a pool (and id) was found through DNS */
    SnapshotViews(RoutingState routing, StateStore store, BiPredicate<String, String> discovered) {
        this.routing = routing;
        this.store = store;
        this.discovered = discovered;
    }

    List<PoolView> pools() {
        return routing.current().pools().values().stream().map(this::view).toList();
    }

    PoolView pool(String pool) {
        return view(pool(routing.current(), pool));
    }

    BackendView backend(String pool, String id) {
        return view(pool, member(pool, id));
    }

    List<RouteView> routes() {
        return routing.current().routes().stream().map(RouteViews::of).toList();
    }

    RouteView route(String route) {
        return routes().stream().filter(r -> r.name().equals(route)).findFirst()
                .orElseThrow(() -> ControlException.notFound("no route named " + route));
    }

    /** A backend as the snapshot in force has it; NOT_FOUND for an unknown pool or id. */
    PoolMember member(String pool, String id) {
        for (PoolMember member : pool(routing.current(), pool).members()) {
            if (member.backend().id().equals(id)) {
                return member;
            }
        }
        throw ControlException.notFound("pool " + pool + " has no backend " + id);
    }

    private static Pool pool(RouteTable table, String pool) {
        Pool p = table.pools().get(pool);
        if (p == null) {
            throw ControlException.notFound("no pool named " + pool);
        }
        return p;
    }

    private PoolView view(Pool pool) {
        return new PoolView(pool.name(), pool.balancer().configName(),
                pool.members().stream().map(m -> view(pool.name(), m)).toList(),
                pool.healthCheck() == null ? null : pool.healthCheck().path());
    }

    private BackendView view(String pool, PoolMember member) {
        Backend b = member.backend();
        int inflight = b.inflight();
        Map<String, Integer> fleet = null;
        if (store.shared()) {
            fleet = new TreeMap<>(store.othersInflight(pool + "/" + b.id()));
            fleet.put(store.instance(), inflight);
            inflight = fleet.values().stream().mapToInt(Integer::intValue).sum();
        }
        return new BackendView(pool, b.id(), b.address(), member.weight(), member.state().displayName(inflight),
                member.health().displayName(), inflight, member.ejected(), discovered.test(pool, b.id()), fleet);
    }
}
