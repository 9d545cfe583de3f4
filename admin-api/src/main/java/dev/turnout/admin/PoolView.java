package dev.turnout.admin;

import java.util.List;

/** A pool as the admin API shows it. */
public record PoolView(String name, String balancer, List<BackendView> backends) {

    public PoolView {
        backends = List.copyOf(backends);
    }
}
