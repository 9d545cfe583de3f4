package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What is not one of SPEC's calls: wrong methods (405), unknown paths (404), /healthz, /metrics, big bodies. */
class AdminRoutingTest {

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @CsvSource({
        "DELETE, /api/v1/pools",
        "POST,   /api/v1/pools",
        "PUT,    /api/v1/pools/stable",
        "PUT,    /api/v1/pools/stable/backends",
        "POST,   /api/v1/pools/stable/backends/app1",
        "PUT,    /api/v1/pools/stable/backends/app1",
        "GET,    /api/v1/pools/stable/backends/app1/drain",
        "PUT,    /api/v1/pools/stable/backends/app1/drain",
        "GET,    /api/v1/pools/stable/backends/app1/enable",
        "POST,   /api/v1/pools/stable/backends/app1/weight",
        "DELETE, /api/v1/routes",
        "POST,   /api/v1/routes/web/split",
        "GET,    /api/v1/routes/web/split",
        "POST,   /healthz"
    })
    void aWrongMethodIs405AndChangesNothing(String method, String path) throws Exception {
        try (AdminHarness admin = AdminHarness.start(); AuditCapture audit = new AuditCapture()) {
            List<Object> before = admin.control.snapshot();
            String body = method.equals("GET") || method.equals("DELETE") ? null : "{\"weight\":3}";

            assertError(405, admin.send(method, path, body));

            assertEquals(List.of(), admin.control.calls());
            assertEquals(before, admin.control.snapshot());
            assertEquals(List.of(), audit.lines());
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "/nope",
        "/api",
        "/api/v1",
        "/api/v2/pools",
        "/api/v1/nope",
        "/api/v1/pools/stable/things",
        "/api/v1/pools/stable/backends/app1/explode",
        "/api/v1/pools/stable/backends/app1/drain/now",
        "/api/v1/routes/web/nope",
        "/api/v1/routes/web/split/more",
        "/metrics"
    })
    void anUnknownPathIs404(String path) throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            assertError(404, admin.get(path));
        }
    }

    @Test
    void anUnknownPathIs404ForAChangeTooAndChangesNothing() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            List<Object> before = admin.control.snapshot();

            assertError(404, admin.post("/api/v1/pools/stable/backends/app1/explode", "{}"));

            assertEquals(List.of(), admin.control.calls());
            assertEquals(before, admin.control.snapshot());
        }
    }

    @Test
    void healthzIsOk() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            JsonNode body = assertJson(200, admin.get("/healthz"));

            assertEquals("ok", body.path("status").asText(), body::toString);
        }
    }

    @Test
    void metricsServesTheSuppliedPrometheusText() throws Exception {
        String exposition = "# TYPE turnout_backend_up gauge\nturnout_backend_up{pool=\"stable\",backend=\"app1\"} 1\n";
        try (AdminHarness admin = AdminHarness.start(null, () -> exposition)) {
            HttpResponse<String> metrics = admin.get("/metrics");

            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                    () -> metrics.headers().map().toString());
            assertEquals(exposition, metrics.body());
        }
    }

    @Test
    void aBodyOver64KiBIs413AndNeverReachesTheControlPlane() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            String huge = "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"pad\":\"" + "x".repeat(70 * 1024) + "\"}";

            assertError(413, admin.post("/api/v1/pools/stable/backends", huge));

            assertEquals(List.of(), admin.control.calls());
        }
    }
}
