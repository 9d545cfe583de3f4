package dev.turnout.proxy.config;

import java.time.Duration;

/**
 * A pool's active health check: an HTTP GET of {@code path} on each backend every
 * {@code interval} (with jitter), answered within {@code timeout} by a status from
 * {@code minStatus} to {@code maxStatus}. Health flips after that many results in a row.
 */
public record HealthCheckConfig(String path, Duration interval, Duration timeout, int healthyThreshold,
        int unhealthyThreshold, int minStatus, int maxStatus) {

    public boolean accepts(int status) {
        return status >= minStatus && status <= maxStatus;
    }
}
