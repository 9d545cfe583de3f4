package dev.turnout.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A configuration that cannot run stops the process before it listens: exit status 2 and one
 * line on stderr naming the offending key, with no stack trace. Each case changes one thing in an
 * otherwise valid file. A listener that cannot bind is not a configuration error (exit 1 in Main)
 * but gets the same treatment: a one-line message naming the address.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a performance bound
class ConfigErrorIT {

    private static final Duration EXIT = TurnoutProcess.EXIT_TIMEOUT;
    private static final int CONFIG_ERROR = 2;

    private static final String POOLS = """
            pools {
              stable { backends = [ { id = app1, address = "127.0.0.1:9001", weight = 1 } ] }
              canary { backends = [ { id = app3, address = "127.0.0.1:9003", weight = 1 } ] }
            }
            """;
    private static final String ROUTES = """
            routes = [ { name = web, host = "*", path-prefix = "/", split { stable = 90, canary = 10 } } ]
            """;

    @TempDir
    Path dir;

    static Stream<Arguments> invalidConfigurations() {
        return Stream.of(
                Arguments.of("split not summing to 100",
                        config(POOLS, edit(ROUTES, "canary = 10", "canary = 5")), "turnout.routes[0].split:"),
                Arguments.of("unknown pool in a split",
                        config(POOLS, edit(ROUTES, "canary = 10", "canary = 5, nosuch = 5")),
                        "turnout.routes[0].split.nosuch"),
                Arguments.of("negative weight",
                        config(edit(POOLS, "weight = 1 } ] }\n  canary", "weight = -1 } ] }\n  canary"), ROUTES),
                        "turnout.pools.stable.backends[0].weight"),
                Arguments.of("address without a port",
                        config(edit(POOLS, "\"127.0.0.1:9003\"", "\"127.0.0.1\""), ROUTES),
                        "turnout.pools.canary.backends[0].address"),
                Arguments.of("address with a port out of range",
                        config(edit(POOLS, "\"127.0.0.1:9003\"", "\"127.0.0.1:70000\""), ROUTES),
                        "turnout.pools.canary.backends[0].address"),
                Arguments.of("duplicate backend id",
                        config(edit(POOLS, "weight = 1 } ] }\n  canary",
                                "weight = 1 }, { id = app1, address = \"127.0.0.1:9002\" } ] }\n  canary"), ROUTES),
                        "turnout.pools.stable.backends[1].id"),
                Arguments.of("misspelt key",
                        config(edit(POOLS, "weight = 1 } ] }\n  canary", "wieght = 1 } ] }\n  canary"), ROUTES),
                        "turnout.pools.stable.backends[0].wieght"),
                Arguments.of("duplicate route name",
                        config(POOLS, edit(ROUTES, "} } ]", "} }, { name = web, split { stable = 100 } } ]")),
                        "turnout.routes[1].name"),
                Arguments.of("malformed listen address",
                        edit(config(POOLS, ROUTES), "  listen = \"127.0.0.1:0\"", "  listen = \"localhost\""),
                        "turnout.listen"),
                Arguments.of("malformed admin listen address",
                        edit(config(POOLS, ROUTES), "admin.listen = \"127.0.0.1:0\"", "admin.listen = \"127.0.0.1:x\""),
                        "turnout.admin.listen"),
                Arguments.of("negative shutdown grace",
                        config(POOLS, ROUTES + "shutdown.grace = -1s\n"), "turnout.shutdown.grace"));
    }

    /** {@code text} with {@code target} replaced; fails if it is not there, so no case is valid by accident. */
    private static String edit(String text, String target, String replacement) {
        if (!text.contains(target)) {
            throw new IllegalArgumentException("no " + target + " in " + text);
        }
        return text.replace(target, replacement);
    }

    private static String config(String pools, String routes) {
        return "turnout {\n  listen = \"127.0.0.1:0\"\n  admin.listen = \"127.0.0.1:0\"\n" + pools + routes + "}\n";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidConfigurations")
    void invalidConfigurationExitsTwoNamingTheKey(String description, String config, String key) throws Exception {
        Path file = Files.writeString(dir.resolve("turnout.conf"), config);
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--config", file.toString())) {
            assertEquals(CONFIG_ERROR, turnout.waitForExit(EXIT), turnout::describe);
            assertTrue(turnout.stderr().contains(key), () -> "stderr should name " + key + "\n" + turnout.describe());
            assertNoStackTrace(turnout);
        }
    }

    @Test
    void everyProblemOfTheFileGetsALineNamingItsKey() throws Exception {
        String config = config(edit(POOLS, "weight = 1 } ] }\n  canary", "weight = -1 } ] }\n  canary"),
                edit(ROUTES, "canary = 10", "canary = 5"));
        Path file = Files.writeString(dir.resolve("turnout.conf"),
                config.replace("routes = [", "timeouts.idle = 0s\nroutes = ["));
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--config", file.toString())) {
            assertEquals(CONFIG_ERROR, turnout.waitForExit(EXIT), turnout::describe);
            List<String> lines = turnout.stderr().strip().lines().toList();
            assertEquals(3, lines.size(), turnout::describe);
            assertTrue(lines.get(0).startsWith("turnout: configuration error: turnout.pools.stable.backends[0].weight: -1"),
                    turnout::describe);
            assertTrue(lines.get(1).startsWith("turnout: configuration error: turnout.routes[0].split: "), turnout::describe);
            assertTrue(lines.get(2).startsWith("turnout: configuration error: turnout.timeouts.idle: "), turnout::describe);
            assertNoStackTrace(turnout);
        }
    }

    @Test
    void anAdminListenerOffLoopbackWithoutATokenExitsTwoNamingListenAndToken() throws Exception {
        String config = edit(config(POOLS, ROUTES), "admin.listen = \"127.0.0.1:0\"", "admin.listen = \"0.0.0.0:0\"");
        Path file = Files.writeString(dir.resolve("turnout.conf"), config);
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--config", file.toString())) {
            assertEquals(CONFIG_ERROR, turnout.waitForExit(EXIT), turnout::describe);
            String stderr = turnout.stderr().strip();
            assertTrue(stderr.startsWith("turnout: configuration error: turnout.admin.listen: \"0.0.0.0:0\" (expected: "),
                    turnout::describe);
            assertTrue(stderr.contains("turnout.admin.token") && stderr.contains("turnout.admin.insecure"), turnout::describe);
            assertEquals(1, stderr.lines().count(), () -> "one line\n" + turnout.describe());
            assertNoStackTrace(turnout);
        }
    }

    @Test
    void insecureTrueLetsAnAdminListenerOffLoopbackStartWithAWarning() throws Exception {
        int adminPort = TurnoutProcess.freePort();
        String config = edit(config(POOLS, ROUTES), "admin.listen = \"127.0.0.1:0\"",
                "admin { listen = \"0.0.0.0:" + adminPort + "\", insecure = true }");
        Path file = Files.writeString(dir.resolve("turnout.conf"), config);
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--config", file.toString())) {
            assertTrue(turnout.pollUntil(TurnoutProcess.START_TIMEOUT, () -> turnout.stdout().contains("admin API listening")),
                    turnout::describe);
            assertTrue(turnout.stdout().contains("WARN") && turnout.stdout().contains("NO TOKEN (turnout.admin.insecure = true)"),
                    turnout::describe);
            try (WireClient admin = new WireClient(adminPort)) {
                assertEquals(200, admin.get("/healthz").status(), turnout::describe);
            }
        }
    }

    @Test
    void anUnrelatedTurnoutVariableGivesOneWarningAndTurnoutStarts() throws Exception {
        String config = "turnout {\n" + POOLS + ROUTES + "timeouts.connect = 500ms\n}\n";
        try (TurnoutProcess turnout = TurnoutProcess.start(dir, config,
                Map.of("TURNOUT_FOO", "1", "TURNOUT_TIMEOUTS_CONNECT", "3s"))) {
            String stdout = turnout.stdout();
            List<String> warnings = stdout.lines().filter(line -> line.contains("TURNOUT_FOO")).toList();
            assertEquals(1, warnings.size(), turnout::describe);
            assertTrue(warnings.get(0).contains("WARN") && warnings.get(0).contains("name no configuration key"),
                    turnout::describe);
            assertFalse(stdout.contains("TURNOUT_TIMEOUTS_CONNECT"), "a known key is configuration, not a warning");
            assertFalse(turnout.stderr().contains("configuration error"), turnout::describe);
        }
    }

    @Test
    void hoconSyntaxErrorExitsTwoNamingTheFileAndLine() throws Exception {
        Path file = Files.writeString(dir.resolve("broken.conf"), "turnout {\n  listen = \"127.0.0.1:0\"\n  pools {\n");
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--config", file.toString())) {
            assertEquals(CONFIG_ERROR, turnout.waitForExit(EXIT), turnout::describe);
            assertTrue(turnout.stderr().contains("broken.conf"), turnout::describe);
            assertNoStackTrace(turnout);
        }
    }

    @Test
    void missingConfigFileExitsNonZeroNamingTheFile() throws Exception {
        Path missing = dir.resolve("does-not-exist.conf");
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--config", missing.toString())) {
            assertNotEquals(0, turnout.waitForExit(EXIT), turnout::describe);
            assertTrue(turnout.stderr().contains("does-not-exist.conf"), turnout::describe);
            assertNoStackTrace(turnout);
        }
    }

    @Test
    void configFlagWithoutAFileExitsTwoWithUsage() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--config")) {
            assertEquals(CONFIG_ERROR, turnout.waitForExit(EXIT), turnout::describe);
            assertTrue(turnout.stderr().contains("--config"), turnout::describe);
            assertTrue(turnout.stderr().contains("usage:"), turnout::describe);
        }
    }

    @Test
    void versionPrintsTheVersionTheBuildStamped() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--version")) {
            assertEquals(0, turnout.waitForExit(EXIT), turnout::describe);
            String expected = "turnout " + System.getProperty("turnout.version", "?");
            assertEquals(expected, turnout.stdout().strip(), turnout::describe);
        }
    }

    @Test
    void unknownArgumentExitsTwoWithUsage() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--confgi", "x.conf")) {
            assertEquals(CONFIG_ERROR, turnout.waitForExit(EXIT), turnout::describe);
            assertTrue(turnout.stderr().contains("--confgi"), turnout::describe);
            assertTrue(turnout.stderr().contains("usage:"), turnout::describe);
        }
    }

    @ParameterizedTest(name = "{0} port taken")
    @ValueSource(strings = {"listen", "admin.listen"})
    void listenerPortTakenExitsNonZeroNamingTheAddress(String key) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            String config = edit(config(POOLS, ROUTES), "  " + key + " = \"127.0.0.1:0\"",
                    "  " + key + " = \"" + address + "\"");
            Path file = Files.writeString(dir.resolve("turnout.conf"), config);
            try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--config", file.toString())) {
                assertNotEquals(0, turnout.waitForExit(EXIT), turnout::describe);
                assertTrue(turnout.stderr().contains(address),
                        () -> "stderr should say which address is taken: " + address + "\n" + turnout.describe());
                assertNoStackTrace(turnout);
            }
        }
    }

    private static void assertNoStackTrace(TurnoutProcess turnout) {
        String stderr = turnout.stderr();
        assertFalse(stderr.contains("Exception in thread") || stderr.contains("\tat "),
                () -> "a configuration error is a message, not a stack trace\n" + turnout.describe());
    }
}
