package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertBackend;
import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The changing calls other than drain: add, remove, enable, weight, split; their validation and refusals. */
class AdminChangeApiTest {

    private static final String BACKENDS = "/api/v1/pools/stable/backends";

    private AdminHarness admin;
    private List<Object> initial;

    @BeforeEach
    void start() throws IOException {
        admin = AdminHarness.start();
        initial = admin.control.snapshot();
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    // ---- add ---------------------------------------------------------------------------------

    @Test
    void addBackendAnswers201WithTheBackend() {
        JsonNode added = assertJson(201, admin.post(BACKENDS, "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"weight\":2}"));

        assertBackend(added, "app3", "127.0.0.1:9003", 2, "active", "unknown", 0);
        assertEquals(List.of("addBackend stable/app3 127.0.0.1:9003 weight=2"), admin.control.calls());
        assertBackend(assertJson(200, admin.get(BACKENDS + "/app3")), "app3", "127.0.0.1:9003", 2, "active", "unknown", 0);
    }

    @Test
    void addBackendWithoutWeightPassesWeightOne() {
        assertJson(201, admin.post(BACKENDS, "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\"}"));

        assertEquals(List.of("addBackend stable/app3 127.0.0.1:9003 weight=1"), admin.control.calls());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"address\":\"127.0.0.1:9003\",\"weight\":1}",
        "{\"id\":\"app3\",\"weight\":1}",
        "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"weight\":1,\"colour\":\"red\"}",
        "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"weight\":\"2\"}",
        "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"weight\":2.5}",
        "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"weight\":null}",
        "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"weight\":10000000000}",
        "{\"id\":3,\"address\":\"127.0.0.1:9003\"}",
        "{\"id\":\"app3\",\"address\":[\"127.0.0.1:9003\"]}",
        "id=app3&address=127.0.0.1:9003",
        "{\"id\":\"app3\",",
        "[{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\"}]",
        "null",
        ""
    })
    void addBackendWithABadBodyIs400AndNeverReachesTheControlPlane(String body) {
        assertError(400, admin.post(BACKENDS, body));

        assertEquals(List.of(), admin.control.calls());
        assertEquals(initial, admin.control.snapshot());
    }

    /** A body with more after its JSON object is not a JSON document; half-reading it would act on a guess. */
    @Test
    void addBackendWithTrailingContentAfterTheJsonIs400() {
        assertError(400, admin.post(BACKENDS, "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\"} {\"id\":\"app4\"}"));

        assertEquals(List.of(), admin.control.calls());
        assertEquals(initial, admin.control.snapshot());
    }

    @Test
    void addingAnIdThatExistsIs409AndChangesNothing() {
        assertError(409, admin.post(BACKENDS, "{\"id\":\"app1\",\"address\":\"127.0.0.1:9999\",\"weight\":5}"));

        assertEquals(initial, admin.control.snapshot());
    }

    @Test
    void addingToAnUnknownPoolIs404() {
        assertError(404, admin.post("/api/v1/pools/nope/backends", "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\"}"));

        assertEquals(initial, admin.control.snapshot());
    }

    @Test
    void aBadRequestFromTheControlPlaneIs400() {
        assertError(400, admin.post(BACKENDS, "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"weight\":-1}"));

        assertEquals(initial, admin.control.snapshot());
    }

    // ---- remove ------------------------------------------------------------------------------

    @Test
    void removeAnswersWithTheRemovedBackendAndDoesNotForceByDefault() {
        JsonNode removed = assertJson(200, admin.delete(BACKENDS + "/app2"));

        assertBackend(removed, "app2", "127.0.0.1:9002", 2, "active", "down", 0);
        assertEquals(List.of("removeBackend stable/app2 force=false"), admin.control.calls());
        assertError(404, admin.get(BACKENDS + "/app2"));
    }

    @Test
    void removeWhileRequestsAreInFlightIs409AndChangesNothing() {
        admin.control.setInflight("stable", "app1", 2);
        List<Object> busy = admin.control.snapshot();

        assertError(409, admin.delete(BACKENDS + "/app1"));

        assertEquals(List.of("removeBackend stable/app1 force=false"), admin.control.calls());
        assertEquals(busy, admin.control.snapshot());
    }

    @Test
    void removeWithForceTrueIsForwardedAsForce() {
        admin.control.setInflight("stable", "app1", 2);

        JsonNode removed = assertJson(200, admin.delete(BACKENDS + "/app1?force=true"));

        assertEquals("app1", removed.path("id").asText());
        assertEquals(List.of("removeBackend stable/app1 force=true"), admin.control.calls());
    }

    @Test
    void removeWithForceFalseIsForwardedAsNoForce() {
        assertJson(200, admin.delete(BACKENDS + "/app1?force=false"));

        assertEquals(List.of("removeBackend stable/app1 force=false"), admin.control.calls());
    }

    @Test
    void removeWithForceMaybeIs400AndRemovesNothing() {
        assertError(400, admin.delete(BACKENDS + "/app1?force=maybe"));

        assertEquals(List.of(), admin.control.calls());
        assertEquals(initial, admin.control.snapshot());
    }

    @Test
    void removeUnknownBackendIs404() {
        assertError(404, admin.delete(BACKENDS + "/nope"));

        assertEquals(initial, admin.control.snapshot());
    }

    // ---- enable ------------------------------------------------------------------------------

    @Test
    void enablePutsADrainedBackendBackInRotation() {
        admin.control.drain("stable", "app1");

        JsonNode enabled = assertJson(200, admin.post(BACKENDS + "/app1/enable", null));

        assertBackend(enabled, "app1", "127.0.0.1:9001", 1, "active", "up", 0);
        assertEquals(List.of("drain stable/app1", "enable stable/app1"), admin.control.calls());
    }

    @Test
    void enableUnknownBackendIs404() {
        assertError(404, admin.post(BACKENDS + "/nope/enable", null));
    }

    // ---- weight ------------------------------------------------------------------------------

    @Test
    void putWeightChangesTheWeight() {
        JsonNode changed = assertJson(200, admin.put(BACKENDS + "/app1/weight", "{\"weight\":3}"));

        assertBackend(changed, "app1", "127.0.0.1:9001", 3, "active", "up", 0);
        assertEquals(List.of("setWeight stable/app1 3"), admin.control.calls());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"weight\":\"3\"}",
        "{\"weight\":3.5}",
        "{\"weight\":true}",
        "{}",
        "{\"weight\":3,\"id\":\"app1\"}",
        "3",
        "weight=3",
        ""
    })
    void putWeightWithABadBodyIs400AndChangesNothing(String body) {
        assertError(400, admin.put(BACKENDS + "/app1/weight", body));

        assertEquals(List.of(), admin.control.calls());
        assertEquals(initial, admin.control.snapshot());
    }

    @Test
    void putWeightOnAnUnknownBackendIs404() {
        assertError(404, admin.put(BACKENDS + "/nope/weight", "{\"weight\":3}"));

        assertEquals(initial, admin.control.snapshot());
    }

    // ---- split -------------------------------------------------------------------------------

    @Test
    void putSplitPassesTheSharesInTheOrderGiven() {
        JsonNode route = assertJson(200, admin.put("/api/v1/routes/web/split", "{\"stable\":95,\"canary\":5}"));

        assertEquals("web", route.path("name").asText());
        assertEquals(List.of(new FakeControlPlane.SplitCall("web", List.of("stable", "canary"), List.of(95, 5))),
                admin.control.splitCalls());
    }

    @Test
    void putSplitKeepsTheOrderGivenEvenWhenItIsNotTheRoutesOrder() {
        JsonNode route = assertJson(200, admin.put("/api/v1/routes/web/split", "{\"canary\":100,\"stable\":0}"));

        assertEquals(100, route.path("split").path("canary").intValue(), route::toString);
        assertEquals(0, route.path("split").path("stable").intValue(), route::toString);
        assertEquals(List.of(new FakeControlPlane.SplitCall("web", List.of("canary", "stable"), List.of(100, 0))),
                admin.control.splitCalls());
        JsonNode listed = assertJson(200, admin.get("/api/v1/routes")).path("routes").get(0);
        assertEquals(100, listed.path("split").path("canary").intValue(), listed::toString);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"stable\":\"95\",\"canary\":5}",
        "{\"stable\":94.5,\"canary\":5.5}",
        "{\"stable\":95,\"canary\":null}",
        "{\"stable\":95,\"canary\":{\"share\":5}}",
        "[95,5]",
        "stable=95&canary=5",
        ""
    })
    void putSplitWithANonIntegerShareIs400AndChangesNothing(String body) {
        assertError(400, admin.put("/api/v1/routes/web/split", body));

        assertEquals(List.of(), admin.control.calls());
        assertEquals(initial, admin.control.snapshot());
    }

    @Test
    void putSplitTheControlPlaneRefusesIs400AndChangesNothing() {
        assertError(400, admin.put("/api/v1/routes/web/split", "{\"stable\":90,\"canary\":5}"));

        assertEquals(1, admin.control.splitCalls().size());
        assertEquals(initial, admin.control.snapshot());
    }

    @Test
    void putSplitOnAnUnknownRouteIs404() {
        JsonNode error = assertError(404, admin.put("/api/v1/routes/nope/split", "{\"stable\":100}"));

        assertTrue(error.path("error").asText().contains("nope"), error::toString);
        assertEquals(initial, admin.control.snapshot());
    }

    @Test
    void purgeByTagsDropsTaggedAnswersAndRefusesABadList() {
        JsonNode purged = assertJson(200, admin.post("/api/v1/cache/purge", "{\"tags\":[\"product-42\",\"home\"]}"));
        assertEquals(2, purged.path("purged").asInt());
        assertEquals(List.of("purgeCacheTags [home, product-42]"), admin.control.calls());
        for (String bad : List.of("{\"tags\":[]}", "{\"tags\":\"home\"}", "{\"tags\":[\"a b\"]}", "{\"tags\":[1]}",
                "{\"tags\":[\"a\"],\"prefix\":\"/\"}")) {
            assertError(400, admin.post("/api/v1/cache/purge", bad));
        }
        assertEquals(1, admin.control.calls().size(), "a refused purge drops nothing");
    }
}
