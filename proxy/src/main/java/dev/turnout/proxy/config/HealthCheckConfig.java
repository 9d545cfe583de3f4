package dev.turnout.proxy.config;

import java.time.Duration;

/**
 * A pool's active health check: an HTTP GET of {@code path} on each backend every
 * {@code interval} (with jitter), answered within {@code timeout} by a status from
 * {@code minStatus} to {@code maxStatus}. Health flips after that many results in a row.
 *
 * @param grpcService with a gRPC health check, the service asked about ("" for the server as a
 *                    whole) and {@code path} is {@link #GRPC_HEALTH_PATH}; null for an HTTP GET
 */
public record HealthCheckConfig(String path, Duration interval, Duration timeout, int healthyThreshold,
        int unhealthyThreshold, int minStatus, int maxStatus, String grpcService) {

    /** The gRPC health-checking protocol's one call, {@code grpc.health.v1.Health/Check}. */
    public static final String GRPC_HEALTH_PATH = "/grpc.health.v1.Health/Check";

    public boolean accepts(int status) {
        return status >= minStatus && status <= maxStatus;
    }

    public boolean grpc() {
        return grpcService != null;
    }
}
