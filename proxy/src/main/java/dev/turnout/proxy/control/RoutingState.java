package dev.turnout.proxy.control;

import dev.turnout.proxy.route.RouteTable;

/**
 * The published routing snapshot. The hot path reads {@link #current()} (one volatile read);
 * {@link RuntimeControl} publishes a whole new snapshot for every change.
 */
public final class RoutingState {

    private volatile RouteTable current;

    public RoutingState(RouteTable initial) {
        this.current = initial;
    }

    public RouteTable current() {
        return current;
    }

    void publish(RouteTable next) {
        current = next;
    }
}
