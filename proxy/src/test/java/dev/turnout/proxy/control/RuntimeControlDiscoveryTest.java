package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.admin.BackendView;
import dev.turnout.admin.ControlException;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.discovery.Endpoint;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RuntimeControl#discovered}: what DNS announces, laid over the operator's intent, and what of it is saved. */
class RuntimeControlDiscoveryTest {

    private static final String A = "10.0.0.2:8080";
    private static final String B = "10.0.0.3:8080";
    private static final String C = "10.0.0.4:8080";
    /** Leaving runs at once, on the thread that saw the backend idle. */
    private static final Executor AT_ONCE = Runnable::run;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<Backend> closedIdle = new ArrayList<>();

    private RuntimeControl start(String pool) {
        return new RuntimeControl(ConfigLoader.parse("""
                turnout {
                  state-file = "%s"
                  pools {
                    app { discovery { dns = "app.test", port = 8080 }, %s }
                    static { backends = [ { id = s1, address = "127.0.0.1:9001" } ] }
                  }
                  routes = [ { name = web, split { app = 100 } } ]
                }
                """.formatted(dir.resolve("state.json"), pool)), closedIdle::add, ControlCollaborators.NONE);
    }

    private RuntimeControl start() {
        return start("slow-start = 0s");
    }

    private static List<Endpoint> endpoints(String... ids) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String id : ids) {
            String[] hostPort = id.split(":");
            endpoints.add(new Endpoint(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 1));
        }
        return endpoints;
    }

    private static Map<String, String> states(RuntimeControl control) {
        Map<String, String> states = new TreeMap<>();
        control.pool("app").backends().forEach(b -> states.put(b.id(), b.state()));
        return states;
    }

    private static Backend backend(RuntimeControl control, String id) {
        return member(control, id).backend();
    }

    private static PoolMember member(RuntimeControl control, String id) {
        return control.routing().current().pools().get("app").members().stream().filter(m -> m.backend().id().equals(id))
                .findFirst().orElseThrow();
    }

    /** The app pool's backends as the state file has them (id to state), after a change was saved. */
    private Map<String, String> saved() throws IOException {
        JsonNode root = JSON.readTree(Files.readString(dir.resolve("state.json")));
        Map<String, String> saved = new TreeMap<>();
        root.path("pools").path("app").path("backends").forEach(b -> saved.put(b.path("id").asText(),
                b.path("state").asText() + "/" + b.path("weight").asInt() + "/" + b.path("origin").asText()));
        return saved;
    }

    @Test
    void theAnnouncedAddressesAreThePoolsBackendsAndAreNeverSaved() throws IOException {
        RuntimeControl control = start();
        assertEquals(Map.of(), states(control), "no backend before the first answer");

        control.discovered("app", endpoints(A, B), AT_ONCE);

        assertEquals(Map.of(A, "active", B, "active"), states(control));
        BackendView view = control.backend("app", A);
        assertTrue(view.discovered());
        assertEquals(A, view.address());
        assertFalse(control.backend("static", "s1").discovered());
        control.setSplit("web", Map.of("app", 100));
        assertEquals(Map.of(), saved(), "discovered backends are looked up again, not saved");
    }

    @Test
    void theFirstAnswerJoinsAtOnceAndLaterOnesRampThroughSlowStart() {
        RuntimeControl control = start("slow-start = 10s");
        control.discovered("app", endpoints(A, B), AT_ONCE);
        assertEquals(0, backend(control, A).rampStartNanos(), "the pool as it starts");
        Backend a = backend(control, A);

        control.discovered("app", endpoints(A, B, C), AT_ONCE);

        assertSame(a, backend(control, A), "the same Backend, with its counters, across answers");
        assertTrue(backend(control, C).rampStartNanos() != 0, "a new address ramps up");
        assertTrue(control.routing().current().pools().get("app").ramping());
        assertTrue(member(control, C).inRotation());
    }

    @Test
    void inACheckedPoolALaterAddressWaitsForAProbe() {
        RuntimeControl control = start("health-check { path = \"/health\" }");
        control.discovered("app", endpoints(A), AT_ONCE);
        assertTrue(member(control, A).inRotation(), "the first answer serves while unchecked, as configured backends do");

        control.discovered("app", endpoints(A, B), AT_ONCE);

        assertTrue(backend(control, B).mustProveHealthy());
        assertFalse(member(control, B).inRotation());
    }

    @Test
    void aVanishedAddressDrainsThenLeavesOnceNothingIsInFlight() {
        RuntimeControl control = start();
        control.discovered("app", endpoints(A, B), AT_ONCE);
        Backend a = backend(control, A);
        a.requestStarted();

        control.discovered("app", endpoints(B), AT_ONCE);

        assertEquals(Map.of(A, "draining", B, "active"), states(control));
        assertFalse(member(control, A).inRotation());
        assertFalse(a.keepsConnections());
        assertTrue(closedIdle.contains(a), "its idle connections close, as with an admin drain");

        a.requestFinished();

        assertEquals(Map.of(B, "active"), states(control));
        assertTrue(a.retired());
        control.discovered("app", endpoints(A, B), AT_ONCE);
        assertEquals(Map.of(A, "active", B, "active"), states(control), "announced again: a new backend");
    }

    @Test
    void anAddressAnnouncedAgainBeforeItLeftComesBackInRotation() {
        RuntimeControl control = start();
        control.discovered("app", endpoints(A, B), AT_ONCE);
        Backend a = backend(control, A);
        a.requestStarted();
        control.discovered("app", endpoints(B), AT_ONCE);

        control.discovered("app", endpoints(A, B), AT_ONCE);
        a.requestFinished();

        assertEquals(Map.of(A, "active", B, "active"), states(control));
        assertSame(a, backend(control, A));
        assertTrue(a.rampStartNanos() != 0, "back in rotation through slow start, as an enabled backend");
    }

    @Test
    void anAdminDrainSticksWhileTheAddressIsAnnouncedSurvivesARestartAndGoesWithTheAddress() throws IOException {
        RuntimeControl control = start();
        control.discovered("app", endpoints(A, B), AT_ONCE);

        control.drain("app", A);
        control.discovered("app", endpoints(B, A, C), AT_ONCE);

        assertEquals(Map.of(A, "drained", B, "active", C, "active"), states(control));
        assertEquals(Map.of(A, "draining/1/discovered"), saved(), "the drain is saved, as admin intent");

        RuntimeControl restarted = start();
        restarted.discovered("app", endpoints(A, B), AT_ONCE);
        assertEquals(Map.of(A, "drained", B, "active"), states(restarted));

        restarted.discovered("app", endpoints(B), AT_ONCE);
        assertEquals(Map.of(B, "active"), states(restarted));
        assertEquals(Map.of(), saved(), "gone with its address");
        restarted.discovered("app", endpoints(A, B), AT_ONCE);
        assertEquals(Map.of(A, "active", B, "active"), states(restarted));
    }

    @Test
    void enablingAtTheRecordsWeightKeepsNothingAndAChangeWhileGoneKeepsIntentNotTheDrain() throws IOException {
        RuntimeControl control = start();
        control.discovered("app", endpoints(A, B), AT_ONCE);
        control.drain("app", A);
        control.enable("app", A);
        assertEquals(Map.of(), saved(), "as DNS has it: nothing kept");

        Backend a = backend(control, A);
        a.requestStarted();
        control.discovered("app", endpoints(B), AT_ONCE);
        control.setWeight("app", A, 5);

        assertEquals(Map.of(A, "active/5/discovered"), saved(), "the weight, not the drain DNS caused");
        assertEquals("draining", control.backend("app", A).state());
        control.discovered("app", endpoints(A, B), AT_ONCE);
        assertEquals(5, control.backend("app", A).weight());
        assertEquals("active", control.backend("app", A).state());
        a.requestFinished();
    }

    @Test
    void aDiscoveryPoolTakesNoAddedBackendAndADiscoveredOneIsNotRemoved() {
        RuntimeControl control = start();
        control.discovered("app", endpoints(A), AT_ONCE);

        ControlException added = assertThrows(ControlException.class, () -> control.addBackend("app", "x", "10.0.0.9:80", 1));
        ControlException removed = assertThrows(ControlException.class, () -> control.removeBackend("app", A, true));

        assertEquals(ControlException.Kind.CONFLICT, added.kind());
        assertTrue(added.getMessage().contains("app.test"), added.getMessage());
        assertEquals(ControlException.Kind.CONFLICT, removed.kind());
        assertEquals(Map.of(A, "active"), states(control));
    }

    @Test
    void anAnswerForAPoolWithoutDiscoveryChangesNothing() {
        RuntimeControl control = start();
        Pool before = control.routing().current().pools().get("static");

        control.discovered("static", endpoints(A), AT_ONCE);

        assertSame(before, control.routing().current().pools().get("static"));
    }
}
