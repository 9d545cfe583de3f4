package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.PoolCarryOver;
import dev.turnout.proxy.route.RouteTable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Snapshots built from a state: backends that stay keep their object, those that go are retired, settings ride along. */
class SnapshotCompilerTest {

    private final List<Backend> closedIdle = new ArrayList<>();
    private final List<RouteTable> published = new ArrayList<>();

    private static TurnoutConfig config(String app2Address, String extra) {
        return ConfigLoader.parse("turnout { state-file = \"\"\npools { app { backends = [ "
                + "{ id = app1, address = \"127.0.0.1:9001\" }, { id = app2, address = \"" + app2Address + "\" } ] } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]\n" + extra + "\n}");
    }

    private SnapshotCompiler compiler(RuntimeState initial, TurnoutConfig config) {
        return new SnapshotCompiler(initial, config.settings(), UnaryOperator.identity(),
                new RoutePolicies(() -> 1, System::nanoTime), closedIdle::add);
    }

    private static BackendState joining(String id, int port, Origin origin) {
        return new BackendState(new BackendConfig(id, new HostPort("127.0.0.1", port), new InetSocketAddress("127.0.0.1", port),
                1), AdminState.ACTIVE, origin);
    }

    @Test
    void aBackendWhosePoolIdAndAddressStayKeepsItsObjectAndAMovedOneIsRetired() {
        TurnoutConfig first = config("127.0.0.1:9002", "");
        SnapshotCompiler compiler = compiler(RuntimeState.fromConfig(first), first);
        Backend app1 = compiler.backend("app", "app1");
        Backend app2 = compiler.backend("app", "app2");

        TurnoutConfig next = config("127.0.0.1:9012", "timeouts.request = 7s");
        SnapshotCompiler.Compiled compiled = compiler.compile(RuntimeState.fromConfig(next), next.settings());
        assertSame(app2, compiler.backend("app", "app2"), "nothing changes before publish");
        compiler.publish(compiled, published::add);

        assertSame(app1, compiler.backend("app", "app1"));
        assertNotSame(app2, compiler.backend("app", "app2"));
        assertTrue(app2.retired());
        assertFalse(app2.keepsConnections());
        assertEquals(List.of(app2), closedIdle);
        assertFalse(app1.retired());
        assertEquals(List.of(compiled.table()), published);
        assertSame(compiled.table(), compiler.routing().current());
        assertEquals(7, compiler.routing().current().settings().timeouts().request().toSeconds());
    }

    @Test
    void aPoolKeepsWhatItCarriesWhileItStaysAndAPoolThatLeftAndCameBackStartsOver() {
        TurnoutConfig first = config("127.0.0.1:9002", "");
        SnapshotCompiler compiler = compiler(RuntimeState.fromConfig(first), first);
        PoolCarryOver carried = compiler.routing().current().pools().get("app").carryOver();
        compiler.publish(compiler.compile(RuntimeState.fromConfig(config("127.0.0.1:9012", ""))), published::add);
        assertSame(carried, compiler.routing().current().pools().get("app").carryOver(), "the pool stayed");

        TurnoutConfig without = ConfigLoader.parse("turnout { state-file = \"\"\npools { other { backends = [ "
                + "{ id = o1, address = \"127.0.0.1:9003\" } ] } }\nroutes = [ { name = web, split { other = 100 } } ]\n}");
        compiler.publish(compiler.compile(RuntimeState.fromConfig(without)), published::add);
        compiler.publish(compiler.compile(RuntimeState.fromConfig(first)), published::add);
        assertNotSame(carried, compiler.routing().current().pools().get("app").carryOver(), "the pool left in between");
    }

    @Test
    void aBackendOutOfRotationKeepsNoIdleConnectionsAndARefreshKeepsTheSettings() {
        TurnoutConfig config = config("127.0.0.1:9002", "timeouts.idle = 42s");
        RuntimeState state = RuntimeState.fromConfig(config);
        SnapshotCompiler compiler = compiler(state, config);
        RuntimeState drained = state.withBackend("app", state.pools().get("app").backend("app1")
                .withState(AdminState.DRAINING));

        compiler.publish(compiler.compile(drained), published::add);

        Backend app1 = compiler.backend("app", "app1");
        assertFalse(app1.keepsConnections());
        assertEquals(List.of(app1), closedIdle);
        assertFalse(compiler.routing().current().inRotation(app1));
        assertEquals(42, compiler.routing().current().settings().timeouts().idle().toSeconds());
    }

    @Test
    void aPoolKeepsItsRetryBudgetAcrossSnapshots() {
        TurnoutConfig config = config("127.0.0.1:9002", "");
        SnapshotCompiler compiler = compiler(RuntimeState.fromConfig(config), config);
        var budget = compiler.routing().current().pools().get("app").retryBudget();

        TurnoutConfig next = config("127.0.0.1:9002", "defaults.retry-budget = 50%");
        compiler.publish(compiler.compile(RuntimeState.fromConfig(next), next.settings()), published::add);

        assertSame(budget, compiler.routing().current().pools().get("app").retryBudget());
        assertEquals(50, compiler.routing().current().pools().get("app").resilience().retryBudgetPercent());
    }

    @Test
    void aBackendDiscoveredInAServingPoolRampsAndOneInAStartingPoolDoesNot() {
        TurnoutConfig config = config("127.0.0.1:9002", "defaults.slow-start = 10s");
        RuntimeState state = RuntimeState.fromConfig(config);
        SnapshotCompiler compiler = compiler(state.withBackend("app", joining("d1", 9003, Origin.DISCOVERED)), config);
        assertEquals(0, compiler.backend("app", "d1").rampStartNanos(), "the pool as it starts");

        compiler.publish(compiler.compile(state.withBackend("app", joining("d2", 9004, Origin.DISCOVERED))
                .withBackend("app", joining("r1", 9005, Origin.RUNTIME))), published::add);

        assertTrue(compiler.backend("app", "d2").rampStartNanos() != 0, "discovered later: ramps up");
        assertFalse(compiler.backend("app", "d2").mustProveHealthy());
        assertEquals(0, compiler.backend("app", "r1").rampStartNanos(), "an unchecked pool takes an added backend whole");
    }

    @Test
    void inACheckedPoolABackendThatJoinsLaterWaitsForAProbe() {
        TurnoutConfig config = ConfigLoader.parse("turnout { state-file = \"\"\npools { app { health-check { path = \"/\" }, "
                + "backends = [ { id = app1, address = \"127.0.0.1:9001\" } ] } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]\n}");
        RuntimeState state = RuntimeState.fromConfig(config);
        SnapshotCompiler compiler = compiler(state.withBackend("app", joining("r1", 9004, Origin.RUNTIME)), config);
        assertTrue(compiler.backend("app", "r1").mustProveHealthy(), "added at runtime, even restored at start");
        assertFalse(compiler.backend("app", "app1").mustProveHealthy());

        compiler.publish(compiler.compile(state.withBackend("app", joining("d2", 9003, Origin.DISCOVERED))), published::add);

        assertTrue(compiler.backend("app", "d2").mustProveHealthy());
        assertEquals(0, compiler.backend("app", "d2").rampStartNanos(), "its ramp starts when a probe says it is up");
    }

    @Test
    void discoveredBackendsAreLaidOverEachState() {
        TurnoutConfig config = config("127.0.0.1:9002", "");
        SnapshotCompiler compiler = new SnapshotCompiler(RuntimeState.fromConfig(config), config.settings(),
                state -> state.withBackend("app", joining("d1", 9009, Origin.DISCOVERED)),
                new RoutePolicies(() -> 1, System::nanoTime), closedIdle::add);
        assertEquals(3, compiler.routing().current().pools().get("app").members().size());
    }
}
