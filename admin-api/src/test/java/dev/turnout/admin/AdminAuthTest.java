package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code Authorization: Bearer <token>} on {@code /api/*} when a token is set; nothing needed without one. */
class AdminAuthTest {

    private static final String TOKEN = "s3cret-Token";

    @Test
    void withATokenSetApiCallsWithoutTheHeaderAre401() throws Exception {
        try (AdminHarness admin = AdminHarness.start(TOKEN, null)) {
            assertError(401, admin.send("GET", "/api/v1/pools", null, null));
            assertError(401, admin.send("GET", "/api/v1/routes", null, null));
            assertError(401, admin.send("GET", "/api/v1/nothing-here", null, null));
        }
    }

    @ParameterizedTest(name = "[{index}] Authorization: {0}")
    @ValueSource(strings = {
        "Bearer wrong",
        "Bearer s3cret-token",
        "Bearer s3cret-Token-and-more",
        "Bearer s3cret-Toke",
        "Bearer ",
        "s3cret-Token",
        "Basic s3cret-Token"
    })
    void withATokenSetAWrongTokenIs401(String authorization) throws Exception {
        try (AdminHarness admin = AdminHarness.start(TOKEN, null)) {
            assertError(401, admin.send("GET", "/api/v1/pools", null, authorization));
        }
    }

    @Test
    void withATokenSetTheRightTokenIsLetIn() throws Exception {
        try (AdminHarness admin = AdminHarness.start(TOKEN, null)) {
            HttpResponse<String> pools = admin.send("GET", "/api/v1/pools", null, "Bearer " + TOKEN);

            assertEquals(2, assertJson(200, pools).path("pools").size());
        }
    }

    @Test
    void aChangeWithoutTheTokenIs401AndChangesNothing() throws Exception {
        try (AdminHarness admin = AdminHarness.start(TOKEN, null); AuditCapture audit = new AuditCapture()) {
            List<Object> before = admin.control.snapshot();

            assertError(401, admin.send("POST", "/api/v1/pools/stable/backends/app1/drain", null, null));
            assertError(401, admin.send("PUT", "/api/v1/pools/stable/backends/app1/weight", "{\"weight\":9}", "Bearer nope"));
            assertError(401, admin.send("POST", "/api/v1/pools/stable/backends",
                    "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\"}", null));
            assertError(401, admin.send("DELETE", "/api/v1/pools/stable/backends/app1?force=true", null, null));
            assertError(401, admin.send("PUT", "/api/v1/routes/web/split", "{\"canary\":100,\"stable\":0}", null));

            assertEquals(List.of(), admin.control.calls());
            assertEquals(before, admin.control.snapshot());
            assertEquals(List.of(), audit.lines());
        }
    }

    @Test
    void aChangeWithTheRightTokenIsAccepted() throws Exception {
        try (AdminHarness admin = AdminHarness.start(TOKEN, null)) {
            assertJson(200, admin.send("PUT", "/api/v1/pools/stable/backends/app1/weight", "{\"weight\":9}",
                    "Bearer " + TOKEN));

            assertEquals(List.of("setWeight stable/app1 9"), admin.control.calls());
        }
    }

    /**
     * The token guards the API, not a spelling of its path: {@code /%61pi/...} decodes to the same
     * call as {@code /api/...}, so it must be refused (401) or not found (404), never carried out.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"/%61pi/v1/pools/stable/backends/app1/drain", "/%61%70%69/v1/pools/stable/backends/app1/drain"})
    void anEncodedApiPathWithoutTheTokenIsNotCarriedOut(String path) throws Exception {
        try (AdminHarness admin = AdminHarness.start(TOKEN, null)) {
            List<Object> before = admin.control.snapshot();

            HttpResponse<String> response = admin.send("POST", path, null, null);

            assertTrue(response.statusCode() == 401 || response.statusCode() == 404,
                    () -> "POST " + path + " without the token answered " + response.statusCode() + ": " + response.body());
            assertEquals(List.of(), admin.control.calls());
            assertEquals(before, admin.control.snapshot());
        }
    }

    @Test
    void healthzNeedsNoTokenEvenWhenOneIsSet() throws Exception {
        try (AdminHarness admin = AdminHarness.start(TOKEN, null)) {
            assertEquals("ok", assertJson(200, admin.send("GET", "/healthz", null, null)).path("status").asText());
            assertEquals("ok", assertJson(200, admin.send("GET", "/healthz", null, "Bearer wrong")).path("status").asText());
        }
    }

    @Test
    void withoutATokenNoAuthorizationIsNeeded() throws Exception {
        try (AdminHarness admin = AdminHarness.start(null, null)) {
            assertJson(200, admin.send("GET", "/api/v1/pools", null, null));
            assertJson(200, admin.send("GET", "/api/v1/pools", null, "Bearer whatever"));
            assertJson(200, admin.send("POST", "/api/v1/pools/stable/backends/app1/enable", null, null));

            assertEquals(List.of("enable stable/app1"), admin.control.calls());
        }
    }
}
