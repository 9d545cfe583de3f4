package dev.turnout.proxy.discovery;

import java.time.Duration;
import java.util.List;

/**
 * What one lookup found: the endpoints (none when the name has no records) and how long the answer may be trusted.
 *
 * @param ttl the shortest TTL of the records the endpoints came from; unused without endpoints
 */
public record Resolution(List<Endpoint> endpoints, Duration ttl) {

    public Resolution {
        endpoints = List.copyOf(endpoints);
    }
}
