package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several tokens at once, each with a name and a role, given or read from files that are read again
 * when they change; the audit log names the token that made a change, never its value.
 */
class AdminTokensTest {

    /** Guards against a hang only: a rotated file is read again within about a second. */
    private static final Duration ROTATION_DEADLINE = Duration.ofSeconds(15);
    private static final String DRAIN = "/api/v1/pools/stable/backends/app1/drain";

    @TempDir
    Path dir;

    private Path tokenFile(String name, String token) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, token + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + ROTATION_DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + ROTATION_DEADLINE.toSeconds() + " s waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void aRotatedTokenFileIsInForceWithoutARestart() throws Exception {
        Path file = tokenFile("admin.token", "first-Token");
        try (AdminHarness admin = AdminHarness.start(s -> s.withTokens(List.of(
                AdminToken.fromFile("admin", AdminToken.Role.OPERATE, file))))) {
            assertJson(200, admin.send("GET", "/api/v1/pools", null, "Bearer first-Token"));

            Path next = tokenFile("admin.token.next", "second-Token");
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE);

            awaitTrue("the rotated token to be accepted",
                    () -> admin.send("GET", "/api/v1/summary", null, "Bearer second-Token").statusCode() == 200);
            assertError(401, admin.send("GET", "/api/v1/pools", null, "Bearer first-Token"));
        }
    }

    @Test
    void aTokenFileThatTurnsReadableByOthersKeepsTheTokenReadBefore() throws Exception {
        Path file = tokenFile("admin.token", "kept-Token");
        Path witness = tokenFile("witness.token", "witness-Token");
        // Both files are read again in one pass, in this order: once the witness's rotation shows, so has the other's.
        try (AdminHarness admin = AdminHarness.start(s -> s.withTokens(List.of(
                AdminToken.fromFile("admin", AdminToken.Role.OPERATE, file),
                AdminToken.fromFile("witness", AdminToken.Role.READ, witness))))) {
            Files.writeString(file, "leaked-Token\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            Files.writeString(witness, "witness-Token-2\n");

            awaitTrue("the witness file to be read again",
                    () -> admin.send("GET", "/api/v1/pools", null, "Bearer witness-Token-2").statusCode() == 200);
            assertJson(200, admin.send("POST", DRAIN, null, "Bearer kept-Token"));
            assertError(401, admin.send("POST", DRAIN, null, "Bearer leaked-Token"));
        }
    }

    @Test
    void aTokenFileReadableByOthersIsRefusedAtStart() throws Exception {
        Path file = dir.resolve("open.token");
        Files.writeString(file, "open-Token\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        IOException refused = assertThrows(IOException.class, () -> AdminToken.read(file));
        assertTrue(refused.getMessage().contains("readable by group or others"), refused.getMessage());
        assertThrows(IOException.class, () -> AdminHarness.start(s -> s.withTokens(List.of(
                AdminToken.fromFile("admin", AdminToken.Role.OPERATE, file)))));
    }

    @Test
    void anEmptyTokenFileIsRefused() throws Exception {
        IOException refused = assertThrows(IOException.class, () -> AdminToken.read(tokenFile("empty.token", " ")));
        assertEquals("empty", refused.getMessage());
    }

    @Test
    void aReadTokenMayOnlyReadAndAnOperateTokenMayChange() throws Exception {
        Path deploy = tokenFile("deploy.token", "deploy-Token");
        Path grafana = tokenFile("grafana.token", "grafana-Token");
        try (AdminHarness admin = AdminHarness.start(s -> s.withTokens(List.of(
                AdminToken.fromFile("deploy", AdminToken.Role.OPERATE, deploy),
                AdminToken.fromFile("grafana", AdminToken.Role.READ, grafana))));
                AuditCapture audit = new AuditCapture()) {
            List<Object> before = admin.control.snapshot();

            assertJson(200, admin.send("GET", "/api/v1/pools", null, "Bearer grafana-Token"));
            admin.control.setTraffic(new TrafficView(5, Map.of(), Map.of()));
            assertJson(200, admin.send("GET", "/api/v1/history", null, "Bearer grafana-Token"));
            for (String[] call : new String[][] {{"POST", DRAIN, null}, {"POST", "/api/v1/cache/purge", "{}"},
                {"PUT", "/api/v1/routes/web/split", "{\"stable\":0,\"canary\":100}"},
                {"DELETE", "/api/v1/pools/stable/backends/app2", null}}) {
                String error = assertError(403, admin.send(call[0], call[1], call[2], "Bearer grafana-Token"))
                        .path("error").asText();
                assertTrue(error.contains("grafana"), error);
            }
            assertEquals(List.of(), admin.control.calls());
            assertEquals(before, admin.control.snapshot());
            assertEquals(List.of(), audit.lines());

            assertJson(200, admin.send("POST", DRAIN, null, "Bearer deploy-Token"));
            assertEquals(List.of("drain stable/app1"), admin.control.calls());
        }
    }

    @Test
    void theAuditLineNamesTheTokenNeverItsValue() throws Exception {
        Path deploy = tokenFile("deploy.token", "deploy-Token");
        try (AdminHarness admin = AdminHarness.start(s -> s.withTokens(List.of(
                AdminToken.of("admin", AdminToken.Role.OPERATE, "inline-Token"),
                AdminToken.fromFile("deploy", AdminToken.Role.OPERATE, deploy))));
                AuditCapture audit = new AuditCapture()) {
            assertJson(200, admin.send("POST", DRAIN, null, "Bearer deploy-Token"));
            assertJson(200, admin.send("POST", "/api/v1/pools/stable/backends/app1/enable", null, "Bearer inline-Token"));

            List<String> lines = audit.lines();
            assertEquals(2, lines.size(), lines::toString);
            assertTrue(lines.get(0).matches("127\\.0\\.0\\.1:\\d+ token=deploy drain backend stable/app1: .*"), lines.get(0));
            assertTrue(lines.get(1).matches("127\\.0\\.0\\.1:\\d+ token=admin enable backend stable/app1: .*"), lines.get(1));
            for (String line : lines) {
                assertFalse(line.contains("deploy-Token") || line.contains("inline-Token"), line);
            }
        }
    }

    @Test
    void aWrongTokenIsStill401WhenSeveralAreSet() throws Exception {
        try (AdminHarness admin = AdminHarness.start(s -> s.withTokens(List.of(
                AdminToken.of("one", AdminToken.Role.OPERATE, "one-Token"),
                AdminToken.of("two", AdminToken.Role.READ, "two-Token"))))) {
            assertError(401, admin.send("POST", DRAIN, null, "Bearer three-Token"));
            assertError(401, admin.send("POST", DRAIN, null, null));
            assertEquals(List.of(), admin.control.calls());
        }
    }
}
