package dev.turnout.proxy.control;

import dev.turnout.admin.BackendView;
import dev.turnout.admin.ControlPlane;
import dev.turnout.admin.PoolView;
import dev.turnout.admin.RouteView;
import dev.turnout.proxy.route.RouteTable;
import java.util.List;

/**
 * Holds the current routing snapshot and implements the admin seam over it. The hot path reads
 * {@link #current()} (one volatile read); changes publish a whole new snapshot.
 */
public final class RoutingState implements ControlPlane {

    private volatile RouteTable current;

    public RoutingState(RouteTable initial) {
        this.current = initial;
    }

    public RouteTable current() {
        return current;
    }

    @Override
    public List<PoolView> pools() {
        return current.pools().values().stream()
                .map(p -> new PoolView(p.name(), p.balancer().configName(), p.backends().stream()
                        .map(b -> new BackendView(b.id(), b.address(), b.weight(), "active", "unknown", b.inflight()))
                        .toList()))
                .toList();
    }

    @Override
    public List<RouteView> routes() {
        return current.routes().stream()
                .map(r -> new RouteView(r.name(), r.host(), r.pathPrefix(), r.split()))
                .toList();
    }
}
