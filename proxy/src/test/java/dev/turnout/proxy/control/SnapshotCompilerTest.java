package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.route.RouteTable;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    void aBackendWhosePoolIdAndAddressStayKeepsItsObjectAndAMovedOneIsRetired() {
        TurnoutConfig first = config("127.0.0.1:9002", "");
        SnapshotCompiler compiler = new SnapshotCompiler(RuntimeState.fromConfig(first), first.settings(), closedIdle::add);
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
    void aBackendOutOfRotationKeepsNoIdleConnectionsAndARefreshKeepsTheSettings() {
        TurnoutConfig config = config("127.0.0.1:9002", "timeouts.idle = 42s");
        RuntimeState state = RuntimeState.fromConfig(config);
        SnapshotCompiler compiler = new SnapshotCompiler(state, config.settings(), closedIdle::add);
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
        SnapshotCompiler compiler = new SnapshotCompiler(RuntimeState.fromConfig(config), config.settings(), closedIdle::add);
        var budget = compiler.routing().current().pools().get("app").retryBudget();

        TurnoutConfig next = config("127.0.0.1:9002", "defaults.retry-budget = 50%");
        compiler.publish(compiler.compile(RuntimeState.fromConfig(next), next.settings()), published::add);

        assertSame(budget, compiler.routing().current().pools().get("app").retryBudget());
        assertEquals(50, compiler.routing().current().pools().get("app").resilience().retryBudgetPercent());
    }
}
