package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /api/v1/config/reload}: what changed on 200, every problem on 422 and 409, and the audit. */
class AdminReloadApiTest {

    private static final String RELOAD = "/api/v1/config/reload";
    private static final ReloadView RELOADED = new ReloadView("2026-12-07T10:00:00Z", "0123456789abcdef",
            new ReloadView.Changes(List.of("api"), List.of(), List.of("web")), ReloadView.Changes.NONE,
            new ReloadView.Changes(List.of("stable/app4"), List.of("canary/c1"), List.of()),
            List.of("turnout.timeouts.request"),
            List.of("the drain of canary/c1: the backend is no longer configured"));

    private AdminHarness admin;
    private AuditCapture audit;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        admin = AdminHarness.start();
        audit = new AuditCapture();
    }

    @AfterEach
    void stop() {
        audit.close();
        admin.close();
    }

    @Test
    void aGoodReloadAnswers200WithWhatChangedAndIsAudited() {
        admin.control.reloadAnswers(RELOADED, null);

        JsonNode body = assertJson(200, admin.post(RELOAD, null));

        assertEquals("0123456789abcdef", body.path("config-hash").asText(), body::toString);
        assertEquals("2026-12-07T10:00:00Z", body.path("reloaded-at").asText(), body::toString);
        assertEquals("api", body.path("routes").path("added").get(0).asText(), body::toString);
        assertEquals("web", body.path("routes").path("changed").get(0).asText(), body::toString);
        assertEquals(0, body.path("pools").path("added").size(), body::toString);
        assertEquals("stable/app4", body.path("backends").path("added").get(0).asText(), body::toString);
        assertEquals("canary/c1", body.path("backends").path("removed").get(0).asText(), body::toString);
        assertEquals("turnout.timeouts.request", body.path("settings").get(0).asText(), body::toString);
        assertEquals(1, body.path("dropped").size(), body::toString);
        assertEquals(List.of("reloadConfiguration"), admin.control.calls());

        List<String> lines = audit.lines();
        assertEquals(2, lines.size(), lines::toString);
        assertTrue(lines.get(0).matches("127\\.0\\.0\\.1:\\d+ reload configuration: routes added \\[api] changed \\[web]; "
                + "backends added \\[stable/app4] removed \\[canary/c1]; settings changed \\[turnout.timeouts.request]; "
                + "1 runtime change\\(s\\) dropped \\(configuration 0123456789abcdef\\)"), lines.get(0));
        assertTrue(lines.get(1).endsWith("reload configuration: dropped the drain of canary/c1: the backend is no longer "
                + "configured"), lines.get(1));
    }

    @Test
    void anInvalidConfigurationIs422WithEveryProblemAndIsNotAudited() {
        admin.control.reloadAnswers(null, ControlException.invalidConfiguration("the configuration has 2 problems; nothing "
                + "was changed", List.of(new ConfigProblem("turnout.routes[0].split", "{stable=90} (expected: shares that sum "
                + "to 100, not 90)"), new ConfigProblem("turnout.timeouts.connect", "\"soon\" (expected: a duration)"))));

        JsonNode body = assertError(422, admin.post(RELOAD, null));

        assertTrue(body.path("error").asText().contains("2 problems"), body::toString);
        assertEquals(2, body.path("errors").size(), body::toString);
        assertEquals("turnout.routes[0].split", body.path("errors").get(0).path("key").asText(), body::toString);
        assertTrue(body.path("errors").get(0).path("problem").asText().contains("sum to 100"), body::toString);
        assertEquals("turnout.timeouts.connect", body.path("errors").get(1).path("key").asText(), body::toString);
        assertEquals(List.of(), audit.lines());
    }

    @Test
    void aChangeThatNeedsARestartIs409NamingTheKey() {
        admin.control.reloadAnswers(null, ControlException.needsRestart("turnout.listen needs a restart; nothing was changed",
                List.of(new ConfigProblem("turnout.listen", "127.0.0.1:8080 -> 127.0.0.1:8081 needs a restart"))));

        JsonNode body = assertError(409, admin.post(RELOAD, null));

        assertEquals("turnout.listen", body.path("errors").get(0).path("key").asText(), body::toString);
        assertEquals(List.of(), audit.lines());
    }

    @Test
    void onlyPostReloads() {
        assertError(405, admin.get(RELOAD));

        assertEquals(List.of(), admin.control.calls());
    }

    @Test
    void aReadTokenMayNotReload() throws Exception {
        Path grafana = Files.writeString(dir.resolve("grafana.token"), "grafana-Token");
        Files.setPosixFilePermissions(grafana, PosixFilePermissions.fromString("rw-------"));
        try (AdminHarness readOnly = AdminHarness.start(s -> s.withTokens(List.of(
                AdminToken.fromFile("grafana", AdminToken.Role.READ, grafana))))) {
            readOnly.control.reloadAnswers(RELOADED, null);

            assertError(403, readOnly.send("POST", RELOAD, null, "Bearer grafana-Token"));

            assertEquals(List.of(), readOnly.control.calls());
        }
    }
}
