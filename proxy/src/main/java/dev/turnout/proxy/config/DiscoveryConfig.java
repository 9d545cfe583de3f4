package dev.turnout.proxy.config;

import java.time.Duration;

/**
 * A pool whose backends are the addresses a DNS name resolves to, looked up again and again.
 *
 * @param name     the name looked up
 * @param port     with type A, every address's port; 0 with SRV, whose records give the ports
 * @param interval the longest wait between lookups; a shorter TTL shortens it
 */
public record DiscoveryConfig(String name, Type type, int port, Duration interval) {

    /** Which records make the backends. */
    public enum Type {
        /** A and AAAA records: each address at the configured port, weight 1. */
        A,
        /** SRV records: each target's addresses at the record's port, with the record's weight. */
        SRV
    }
}
