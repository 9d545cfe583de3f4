package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertBackend;
import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The read calls: their JSON shapes (SPEC "Admin API", Shapes) and their 404s. */
class AdminReadApiTest {

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
    void poolsListsEveryPoolWithItsBackendsInTheControlPlanesOrder() {
        JsonNode body = assertJson(200, admin.get("/api/v1/pools"));

        JsonNode pools = body.path("pools");
        assertTrue(pools.isArray(), body::toString);
        assertEquals(List.of("canary", "stable"), names(pools, "name"));

        JsonNode stable = pools.get(1);
        assertEquals("weighted-round-robin", stable.path("balancer").asText());
        JsonNode backends = stable.path("backends");
        assertTrue(backends.isArray(), stable::toString);
        assertEquals(2, backends.size(), stable::toString);
        assertBackend(backends.get(0), "app1", "127.0.0.1:9001", 1, "active", "up", 0);
        assertBackend(backends.get(1), "app2", "127.0.0.1:9002", 2, "active", "down", 0);

        JsonNode canary = pools.get(0);
        assertEquals("least-inflight", canary.path("balancer").asText());
        assertEquals(1, canary.path("backends").size(), canary::toString);
        assertBackend(canary.path("backends").get(0), "c1", "127.0.0.1:9101", 1, "active", "unknown", 0);
    }

    @Test
    void poolsShowsTheLiveInflightAndState() {
        admin.control.setInflight("stable", "app2", 7);
        admin.control.drain("stable", "app2");

        JsonNode app2 = assertJson(200, admin.get("/api/v1/pools")).path("pools").get(1).path("backends").get(1);

        assertBackend(app2, "app2", "127.0.0.1:9002", 2, "draining", "down", 7);
    }

    @Test
    void onePoolByName() {
        JsonNode pool = assertJson(200, admin.get("/api/v1/pools/stable"));

        assertEquals("stable", pool.path("name").asText());
        assertEquals("weighted-round-robin", pool.path("balancer").asText());
        assertEquals(List.of("app1", "app2"), names(pool.path("backends"), "id"));
    }

    @Test
    void unknownPoolIs404() {
        JsonNode error = assertError(404, admin.get("/api/v1/pools/nope"));

        assertTrue(error.path("error").asText().contains("nope"), error::toString);
    }

    @Test
    void backendsOfAPool() {
        JsonNode backends = assertJson(200, admin.get("/api/v1/pools/stable/backends"));

        assertTrue(backends.isArray(), backends::toString);
        assertEquals(List.of("app1", "app2"), names(backends, "id"));
    }

    @Test
    void oneBackendHasTheSameFieldsAsInTheList() {
        JsonNode backend = assertJson(200, admin.get("/api/v1/pools/stable/backends/app2"));

        assertBackend(backend, "app2", "127.0.0.1:9002", 2, "active", "down", 0);
    }

    @Test
    void unknownBackendIs404() {
        assertError(404, admin.get("/api/v1/pools/stable/backends/nope"));
        assertError(404, admin.get("/api/v1/pools/nope/backends/app1"));
    }

    @Test
    void routesShowsEveryRouteWithItsSplitInOrder() {
        JsonNode body = assertJson(200, admin.get("/api/v1/routes"));

        JsonNode routes = body.path("routes");
        assertTrue(routes.isArray(), body::toString);
        assertEquals(1, routes.size(), body::toString);
        JsonNode web = routes.get(0);
        assertEquals("web", web.path("name").asText());
        assertEquals("*", web.path("host").asText());
        assertEquals("/", web.path("path-prefix").asText(), web::toString);
        assertFalse(web.has("pathPrefix"), "the field is spelled path-prefix: " + web);
        JsonNode split = web.path("split");
        assertTrue(split.isObject(), web::toString);
        List<String> order = new ArrayList<>();
        split.fieldNames().forEachRemaining(order::add);
        assertEquals(List.of("stable", "canary"), order);
        assertEquals(95, split.path("stable").intValue());
        assertEquals(5, split.path("canary").intValue());
    }

    @Test
    void oneRouteByNameAndUnknownRouteIs404() {
        JsonNode web = assertJson(200, admin.get("/api/v1/routes/web"));
        assertEquals("web", web.path("name").asText());

        assertError(404, admin.get("/api/v1/routes/nope"));
    }

    @Test
    void readsChangeNothing() {
        List<Object> before = admin.control.snapshot();

        admin.get("/api/v1/pools");
        admin.get("/api/v1/pools/stable");
        admin.get("/api/v1/pools/stable/backends/app1");
        admin.get("/api/v1/routes");

        assertEquals(List.of(), admin.control.calls());
        assertEquals(before, admin.control.snapshot());
    }

    private static List<String> names(JsonNode array, String field) {
        List<String> names = new ArrayList<>();
        for (JsonNode element : array) {
            names.add(element.path(field).asText());
        }
        return names;
    }
}
