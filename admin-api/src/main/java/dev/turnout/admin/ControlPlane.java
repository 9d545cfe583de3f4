package dev.turnout.admin;

import java.util.List;

/**
 * The one seam between the admin surface and the data plane. The proxy implements it; the admin
 * module sees nothing else of the proxy. Every view handed out is an immutable copy taken from one
 * routing snapshot, so a caller never observes a half-applied change.
 */
public interface ControlPlane {

    /** Every pool with its backends, in name order. */
    List<PoolView> pools();

    /** Every route in match order. */
    List<RouteView> routes();
}
