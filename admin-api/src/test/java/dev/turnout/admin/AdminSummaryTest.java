package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /api/v1/summary}: what the status page reads each second, in one document. */
class AdminSummaryTest {

    private static final List<String> TRAFFIC_FIELDS = List.of("requests", "errors", "p95-seconds");

    private AdminHarness admin;

    @BeforeEach
    void start() throws IOException {
        admin = AdminHarness.start();
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    @Test
    void routesAndPoolsAreThoseOfTheOtherReadsWithTrafficNullWhileMetricsAreOff() {
        JsonNode summary = assertJson(200, admin.get("/api/v1/summary"));

        assertFalse(summary.path("metrics").asBoolean(true), summary::toString);
        assertTrue(summary.path("p95-window-seconds").isNull(), summary::toString);
        JsonNode routes = summary.path("routes");
        assertEquals(1, routes.size(), summary::toString);
        JsonNode web = routes.get(0);
        assertEquals(assertJson(200, admin.get("/api/v1/routes")).path("routes").get(0), without(web, "rollout"),
                "a route reads as in GET /api/v1/routes, plus its rollout");
        assertTrue(web.has("rollout") && web.path("rollout").isNull(), "no rollout yet: " + web);

        JsonNode pools = summary.path("pools");
        JsonNode listed = assertJson(200, admin.get("/api/v1/pools")).path("pools");
        assertEquals(List.of("canary", "stable"),
                List.of(pools.get(0).path("name").asText(), pools.get(1).path("name").asText()));
        for (int p = 0; p < pools.size(); p++) {
            JsonNode pool = pools.get(p);
            assertEquals(listed.get(p).path("balancer"), pool.path("balancer"));
            assertNullTraffic(pool);
            for (int b = 0; b < pool.path("backends").size(); b++) {
                JsonNode backend = pool.path("backends").get(b);
                assertEquals(listed.get(p).path("backends").get(b), without(backend, TRAFFIC_FIELDS.toArray(String[]::new)),
                        "a backend reads as in GET /api/v1/pools, plus its traffic");
                assertNullTraffic(backend);
            }
        }
    }

    @Test
    void trafficFiguresArePerPoolAndPerBackendAndZeroForWhatWasNotCountedYet() {
        admin.control.setTraffic(new TrafficView(5,
                Map.of("stable", new TrafficView.Figures(30, 2, 0.004)),
                Map.of("stable", Map.of("app1", new TrafficView.Figures(20, 1, 0.0035)))));

        JsonNode summary = assertJson(200, admin.get("/api/v1/summary"));

        assertTrue(summary.path("metrics").asBoolean(), summary::toString);
        assertEquals(5, summary.path("p95-window-seconds").intValue(), summary::toString);
        JsonNode canary = summary.path("pools").get(0);
        JsonNode stable = summary.path("pools").get(1);
        assertTraffic(stable, 30, 2, 0.004);
        assertTraffic(stable.path("backends").get(0), 20, 1, 0.0035);
        assertTraffic(stable.path("backends").get(1), 0, 0, null);
        assertTraffic(canary, 0, 0, null);
        assertTraffic(canary.path("backends").get(0), 0, 0, null);
    }

    @Test
    void aRouteCarriesItsRolloutAsGetRolloutShowsIt() {
        assertJson(202, admin.post("/api/v1/routes/web/rollout", "{\"from\":\"stable\",\"to\":\"canary\",\"steps\":[10,100]}"));

        JsonNode rollout = assertJson(200, admin.get("/api/v1/summary")).path("routes").get(0).path("rollout");

        assertEquals(assertJson(200, admin.get("/api/v1/routes/web/rollout")), rollout);
        assertEquals("running", rollout.path("state").asText(), rollout::toString);
        assertEquals(10, rollout.path("step").intValue(), rollout::toString);
        assertTrue(rollout.path("verdicts").isArray(), rollout::toString);
    }

    @Test
    void theTimeIsTheServersInMillisecondsAndAsText() {
        long before = Instant.now().toEpochMilli();
        JsonNode summary = assertJson(200, admin.get("/api/v1/summary"));
        long after = Instant.now().toEpochMilli();

        long millis = summary.path("time-millis").longValue();
        assertTrue(millis >= before && millis <= after, before + " <= " + millis + " <= " + after);
        assertEquals(millis, Instant.parse(summary.path("time").asText()).toEpochMilli(), summary::toString);
    }

    @Test
    void itFollowsChangesAndChangesNothingItself() {
        admin.control.setInflight("stable", "app2", 3);
        admin.control.drain("stable", "app2");
        List<String> calls = admin.control.calls();
        List<Object> before = admin.control.snapshot();

        JsonNode app2 = assertJson(200, admin.get("/api/v1/summary")).path("pools").get(1).path("backends").get(1);

        assertEquals("draining", app2.path("state").asText(), app2::toString);
        assertEquals(3, app2.path("inflight").intValue(), app2::toString);
        assertEquals(calls, admin.control.calls());
        assertEquals(before, admin.control.snapshot());
    }

    @Test
    void onlyGetIsAllowed() {
        assertError(405, admin.post("/api/v1/summary", "{}"));
        assertError(405, admin.delete("/api/v1/summary"));
    }

    @Test
    void withATokenSetItNeedsTheTokenLikeEveryApiCall() throws Exception {
        try (AdminHarness guarded = AdminHarness.start("summary-Token", null)) {
            assertError(401, guarded.send("GET", "/api/v1/summary", null, null));
            assertError(401, guarded.send("GET", "/api/v1/summary", null, "Bearer wrong"));
            assertJson(200, guarded.send("GET", "/api/v1/summary", null, "Bearer summary-Token"));
        }
    }

    private static void assertNullTraffic(JsonNode node) {
        for (String field : TRAFFIC_FIELDS) {
            assertTrue(node.has(field) && node.path(field).isNull(), field + " is present and null: " + node);
        }
    }

    private static void assertTraffic(JsonNode node, long requests, long errors, Double p95) {
        assertEquals(requests, node.path("requests").longValue(), node::toString);
        assertEquals(errors, node.path("errors").longValue(), node::toString);
        if (p95 == null) {
            assertTrue(node.has("p95-seconds") && node.path("p95-seconds").isNull(), node::toString);
        } else {
            assertEquals(p95, node.path("p95-seconds").doubleValue(), 1e-12, node::toString);
        }
    }

    private static JsonNode without(JsonNode object, String... fields) {
        ObjectNode copy = object.deepCopy();
        copy.remove(List.of(fields));
        return copy;
    }
}
