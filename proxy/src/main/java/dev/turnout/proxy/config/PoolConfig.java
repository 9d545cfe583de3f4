package dev.turnout.proxy.config;

import java.util.List;

/**
 * A named group of interchangeable backends, how to pick among them and how to speak to them.
 *
 * @param backends    the backends listed in the file; none with discovery
 * @param healthCheck the active health check, or null when the pool has none
 * @param discovery   where the backends come from instead, or null when the file lists them
 */
public record PoolConfig(String name, Balancer balancer, List<BackendConfig> backends, HealthCheckConfig healthCheck,
        ResilienceConfig resilience, DiscoveryConfig discovery, PoolTransport transport) {

    public PoolConfig {
        backends = List.copyOf(backends);
    }

    /** How a pool spreads requests over its backends. */
    public enum Balancer {
        WEIGHTED_ROUND_ROBIN("weighted-round-robin"),
        LEAST_REQUEST("least-request");

        private final String configName;

        Balancer(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }
}
