package dev.turnout.proxy.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.GrpcBackend;
import dev.turnout.proxy.testing.TestProxy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A pool of gRPC backends probed with the gRPC health-checking protocol (grpc.health.v1.Health/Check). */
class GrpcHealthCheckTest {

    private static String pool(GrpcBackend backend, String service) {
        return "pools { app { protocol = h2c, health-check { type = grpc" + service + ", interval = 300ms, timeout = 300ms, "
                + "healthy-threshold = 1, unhealthy-threshold = 1 }, "
                + "backends = [ " + TestProxy.backend("g1", backend.address(), 1) + " ] } }\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { app = 100 } } ]";
    }

    private static String health(Turnout proxy) {
        return proxy.control().backend("app", "g1").health();
    }

    @Test
    void aBackendIsUpWhileItsHealthServiceSaysServing() throws Exception {
        try (GrpcBackend backend = GrpcBackend.plaintext();
                Turnout proxy = TestProxy.start(pool(backend, ", grpc-service = test.Echo"))) {
            Await.until("the backend to be up", Duration.ofSeconds(10), () -> health(proxy).equals("up"));
            backend.serving(false);
            Await.until("the backend to be down", Duration.ofSeconds(10), () -> health(proxy).equals("down"));
            backend.serving(true);
            Await.until("the backend to be up again", Duration.ofSeconds(10), () -> health(proxy).equals("up"));
            assertTrue(backend.healthChecks() >= 3);
        }
    }

    @Test
    void aServiceTheBackendDoesNotKnowIsDown() throws Exception {
        try (GrpcBackend backend = GrpcBackend.plaintext();
                Turnout proxy = TestProxy.start(pool(backend, ", grpc-service = other.Service"))) {
            Await.until("three health checks answered", Duration.ofSeconds(10), () -> backend.healthChecks() >= 3);
            assertEquals("down", health(proxy), "NOT_FOUND is no pass");
        }
    }
}
