package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A pool as the admin API shows it.
 *
 * @param healthCheck the path its active health check probes, or null when it has none (its backends'
 *                    health then stays {@code unknown})
 */
public record PoolView(String name, String balancer, List<BackendView> backends,
        @JsonProperty("health-check") String healthCheck) {

    public PoolView {
        backends = List.copyOf(backends);
    }

    public PoolView(String name, String balancer, List<BackendView> backends) {
        this(name, balancer, backends, null);
    }
}
