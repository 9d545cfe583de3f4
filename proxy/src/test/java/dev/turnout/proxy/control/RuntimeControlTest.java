package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.admin.BackendView;
import dev.turnout.admin.ControlException;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.route.RouteTable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeControlTest {

    @TempDir
    Path dir;

    private final List<Backend> closedIdle = new ArrayList<>();

    private TurnoutConfig config(String extra) {
        return ConfigLoader.parse("""
                turnout {
                  state-file = "%s"
                  pools {
                    stable { backends = [
                      { id = app1, address = "127.0.0.1:9001" }
                      { id = app2, address = "127.0.0.1:9002" } ] }
                    canary { backends = [ { id = app3, address = "127.0.0.1:9003" } ] }
                  }
                  routes = [ { name = web, split { stable = 100, canary = 0 } } ]
                  %s
                }
                """.formatted(dir.resolve("state.json").toString().replace("\\\\", "/"), extra));
    }

    private RuntimeControl start(TurnoutConfig config) {
        return new RuntimeControl(config, closedIdle::add, ControlCollaborators.NONE);
    }

    private static Map<String, Integer> picks(RouteTable table, int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Backend b = table.match("any", "/").pickPool().pick();
            counts.merge(b == null ? "none" : b.id(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void drainTakesTheBackendOutOfRotationAtOnceAndEnablePutsItBack() {
        RuntimeControl control = start(config(""));
        Backend app1 = control.routing().current().pools().get("stable").members().get(0).backend();

        BackendView drained = control.drain("stable", "app1").after();

        assertEquals("drained", drained.state(), "nothing in flight: drained at once");
        assertEquals(Map.of("app2", 10), picks(control.routing().current(), 10));
        assertTrue(closedIdle.contains(app1), "its idle connections are closed");
        assertFalse(app1.keepsConnections());

        app1.requestStarted();
        assertEquals("draining", control.backend("stable", "app1").state());
        CompletableFuture<Void> idle = control.whenIdle("stable", "app1").toCompletableFuture();
        assertFalse(idle.isDone());
        app1.requestFinished();
        assertTrue(idle.isDone(), "the waiter learns the moment in-flight reaches 0");

        control.enable("stable", "app1");
        assertEquals(Map.of("app1", 5, "app2", 5), picks(control.routing().current(), 10));
        assertTrue(app1.keepsConnections());
        assertEquals(app1, control.routing().current().pools().get("stable").members().get(0).backend(),
                "the same Backend object carries its counters across snapshots");
    }

    @Test
    void refusedChangesChangeNothing() throws IOException {
        RuntimeControl control = start(config(""));
        control.setWeight("stable", "app1", 3);
        String saved = Files.readString(dir.resolve("state.json"));
        RouteTable before = control.routing().current();

        assertKind(ControlException.Kind.NOT_FOUND, () -> control.drain("stable", "nope"));
        assertKind(ControlException.Kind.NOT_FOUND, () -> control.drain("nope", "app1"));
        assertKind(ControlException.Kind.BAD_REQUEST, () -> control.setWeight("stable", "app1", -1));
        assertKind(ControlException.Kind.BAD_REQUEST, () -> control.setWeight("stable", "app1", 1001));
        assertKind(ControlException.Kind.CONFLICT, () -> control.addBackend("stable", "app1", "127.0.0.1:9", 1));
        assertKind(ControlException.Kind.BAD_REQUEST, () -> control.addBackend("stable", "app9", "no-port", 1));
        assertKind(ControlException.Kind.BAD_REQUEST, () -> control.addBackend("stable", "bad id", "127.0.0.1:9", 1));
        assertKind(ControlException.Kind.NOT_FOUND, () -> control.setSplit("nope", Map.of("stable", 100)));
        assertKind(ControlException.Kind.BAD_REQUEST, () -> control.setSplit("web", Map.of("stable", 90)));
        assertKind(ControlException.Kind.BAD_REQUEST, () -> control.setSplit("web", Map.of("stable", 50, "nope", 50)));
        assertKind(ControlException.Kind.BAD_REQUEST, () -> control.setSplit("web", Map.of()));

        assertEquals(before, control.routing().current(), "no new snapshot was published");
        assertEquals(saved, Files.readString(dir.resolve("state.json")), "the state file is untouched");
    }

    @Test
    void aChangeTheSharedStoreCannotTakeIsRefusedWith503AndChangesNothing() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String etcd = "http://127.0.0.1:" + closedPort;
        try (RuntimeControl control = start(config("state { store = etcd, etcd { endpoints = [\"" + etcd
                + "\"], instance = a, timeout = 200ms } }"))) { // under jetcd's default first retry wait of 500 ms
            RouteTable before = control.routing().current();

            ControlException refused = assertThrows(ControlException.class, () -> control.drain("stable", "app1"));

            assertEquals(ControlException.Kind.UNAVAILABLE, refused.kind());
            assertEquals(503, refused.kind().status());
            assertTrue(refused.getMessage().startsWith("the shared state store (etcd at [" + etcd + "]) cannot be reached: "
                    + "this instance keeps serving"), refused.getMessage());
            assertEquals(before, control.routing().current(), "no new snapshot was published");
            assertEquals("active", control.backend("stable", "app1").state());
        }
    }

    @Test
    void removeIsRefusedWhileRequestsAreInFlightUnlessForced() {
        RuntimeControl control = start(config(""));
        Backend app2 = control.routing().current().pools().get("stable").members().get(1).backend();
        app2.requestStarted();

        ControlException refused = assertThrows(ControlException.class, () -> control.removeBackend("stable", "app2", false));
        assertEquals(ControlException.Kind.CONFLICT, refused.kind());
        assertTrue(refused.getMessage().contains("1 requests in flight"), refused.getMessage());

        assertNull(control.removeBackend("stable", "app2", true).after());
        assertEquals(1, control.pool("stable").backends().size());
        assertFalse(app2.keepsConnections());
        assertTrue(closedIdle.contains(app2));
    }

    @Test
    void aSplitIsExactToThePercent() {
        RuntimeControl control = start(config(""));
        Map<String, Integer> split = new LinkedHashMap<>();
        split.put("stable", 95);
        split.put("canary", 5);

        control.setSplit("web", split);

        Map<String, Integer> counts = picks(control.routing().current(), 20_000);
        assertEquals(1000, counts.get("app3"));
        assertEquals(19_000, counts.get("app1") + counts.get("app2"));
        assertEquals(List.of("stable", "canary"), List.copyOf(control.routes().get(0).split().keySet()));
    }

    @Test
    void aRestartRestoresDrainsWeightsSplitsAndRuntimeChanges() {
        RuntimeControl first = start(config(""));
        first.drain("stable", "app1");
        first.setWeight("stable", "app2", 4);
        first.addBackend("canary", "app4", "127.0.0.1:9004", 2);
        first.removeBackend("canary", "app3", false);
        first.setSplit("web", Map.of("stable", 50, "canary", 50));

        RuntimeControl second = start(config(""));

        assertEquals("drained", second.backend("stable", "app1").state());
        assertEquals(4, second.backend("stable", "app2").weight());
        assertEquals(List.of("app4"), second.pool("canary").backends().stream().map(BackendView::id).toList());
        assertEquals(2, second.backend("canary", "app4").weight());
        assertEquals(Map.of("stable", 50, "canary", 50), second.routes().get(0).split());
        assertEquals(Map.of("app2", 5, "app4", 5), picks(second.routing().current(), 10));
    }

    @Test
    void theConfigurationDecidesWhatExistsAndTheStateHowItWasLeft() {
        RuntimeControl first = start(config(""));
        first.drain("stable", "app1");
        first.drain("stable", "app2");
        first.setSplit("web", Map.of("stable", 50, "canary", 50));

        // The operator moves app1 to a new address, deletes app2 and the canary pool.
        RuntimeControl second = start(ConfigLoader.parse("""
                turnout {
                  state-file = "%s"
                  pools.stable.backends = [
                    { id = app1, address = "127.0.0.1:9101" }
                    { id = app5, address = "127.0.0.1:9005" } ]
                  routes = [ { name = web, split { stable = 100 } } ]
                }
                """.formatted(dir.resolve("state.json").toString())));

        assertEquals("active", second.backend("stable", "app1").state(), "address changed: saved state dropped");
        assertEquals(List.of("app1", "app5"), second.pool("stable").backends().stream().map(BackendView::id).toList());
        assertEquals(Map.of("stable", 100), second.routes().get(0).split(), "saved split names a pool that is gone");
    }

    @Test
    void anUnreadableStateFileStopsStartUpNamingIt() throws IOException {
        Files.writeString(dir.resolve("state.json"), "{ not json");

        ConfigError error = assertThrows(ConfigError.class, () -> start(config("")));

        assertTrue(error.getMessage().contains("turnout.state-file"), error.getMessage());
        assertTrue(error.getMessage().contains("state.json"), error.getMessage());
    }

    @Test
    void aChangeThatCannotBeSavedIsRefusedWhole() throws IOException {
        RuntimeControl control = start(config(""));
        RouteTable before = control.routing().current();
        // A directory where the file should be makes the atomic rename fail.
        Files.createDirectory(dir.resolve("state.json"));

        assertThrows(RuntimeException.class, () -> control.drain("stable", "app1"));

        assertEquals(before, control.routing().current());
        assertEquals("active", control.backend("stable", "app1").state());
    }

    private static void assertKind(ControlException.Kind kind, Runnable call) {
        ControlException e = assertThrows(ControlException.class, call::run);
        assertEquals(kind, e.kind(), e.getMessage());
    }
}
