package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.control.SnapshotCompiler.Compiled;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotCompilerTest {

    private static final long NOW = 1_000_000_000L;

    private static RuntimeState configured(String poolExtra) {
        return RuntimeState.fromConfig(ConfigLoader.parse("""
                turnout {
                  pools { app { backends = [ { id = a, address = "127.0.0.1:9001" } ], %s } }
                  routes = [ { name = web, split { app = 100 } } ]
                }
                """.formatted(poolExtra)));
    }

    private static BackendState joining(String id, int port, Origin origin) {
        HostPort address = new HostPort("127.0.0.1", port);
        return new BackendState(new BackendConfig(id, address, new InetSocketAddress("127.0.0.1", port), 1), AdminState.ACTIVE,
                origin);
    }

    @Test
    void aBackendWhosePoolIdAndAddressAreUnchangedKeepsItsObject() {
        SnapshotCompiler compiler = new SnapshotCompiler(new RoutePolicies(() -> 1, System::nanoTime));
        RuntimeState state = configured("slow-start = 0s");
        Compiled first = compiler.compile(state, Map.of(), NOW);
        Backend a = first.backends().get("app/a");

        Compiled second = compiler.compile(state.withBackend("app", state.pools().get("app").backend("a").withWeight(3)),
                first.backends(), NOW);
        BackendState moved = new BackendState(new BackendConfig("a", new HostPort("127.0.0.1", 9999),
                new InetSocketAddress("127.0.0.1", 9999), 1), AdminState.ACTIVE, Origin.CONFIG);
        Compiled third = compiler.compile(state.withBackend("app", moved), second.backends(), NOW);

        assertSame(a, second.backends().get("app/a"));
        assertEquals(3, second.table().pools().get("app").members().get(0).weight());
        assertNotSame(a, third.backends().get("app/a"), "a new address is a new backend");
        assertSame(first.table().pools().get("app").retryBudget(), third.table().pools().get("app").retryBudget());
    }

    @Test
    void aBackendDiscoveredInAServingPoolRampsAndOneInAStartingPoolDoesNot() {
        SnapshotCompiler compiler = new SnapshotCompiler(new RoutePolicies(() -> 1, System::nanoTime));
        RuntimeState state = configured("slow-start = 10s");
        Compiled first = compiler.compile(state.withBackend("app", joining("d1", 9002, Origin.DISCOVERED)), Map.of(), NOW);
        assertEquals(0, first.backends().get("app/d1").rampStartNanos(), "the pool as it starts");

        Compiled later = compiler.compile(state.withBackend("app", joining("d2", 9003, Origin.DISCOVERED))
                .withBackend("app", joining("r1", 9004, Origin.RUNTIME)), first.backends(), NOW);

        assertEquals(NOW, later.backends().get("app/d2").rampStartNanos());
        assertFalse(later.backends().get("app/d2").mustProveHealthy());
        assertEquals(0, later.backends().get("app/r1").rampStartNanos(), "an unchecked pool takes an added backend whole");
        assertTrue(later.table().pools().get("app").ramping());
    }

    @Test
    void inACheckedPoolABackendThatJoinsLaterWaitsForAProbe() {
        SnapshotCompiler compiler = new SnapshotCompiler(new RoutePolicies(() -> 1, System::nanoTime));
        RuntimeState state = configured("health-check { path = \"/\" }");
        Compiled first = compiler.compile(state.withBackend("app", joining("r1", 9004, Origin.RUNTIME)), Map.of(), NOW);
        assertTrue(first.backends().get("app/r1").mustProveHealthy(), "added at runtime, even restored at start");
        assertFalse(first.backends().get("app/a").mustProveHealthy());

        Compiled later = compiler.compile(state.withBackend("app", joining("d2", 9003, Origin.DISCOVERED)), first.backends(),
                NOW);

        assertTrue(later.backends().get("app/d2").mustProveHealthy());
        assertEquals(0, later.backends().get("app/d2").rampStartNanos(), "its ramp starts when a probe says it is up");
    }

    @Test
    void backendsOutOfRotationKeepNoIdleConnections() {
        SnapshotCompiler compiler = new SnapshotCompiler(new RoutePolicies(() -> 1, System::nanoTime));
        RuntimeState state = configured("slow-start = 0s");
        RuntimeState drained = state.withBackend("app", state.pools().get("app").backend("a").withState(AdminState.DRAINING))
                .withBackend("app", joining("b", 9002, Origin.RUNTIME));
        Compiled compiled = compiler.compile(drained, Map.of(), NOW);
        List<Backend> closed = new ArrayList<>();

        SnapshotCompiler.applyConnectionPolicy(compiled.table(), closed::add);

        assertEquals(List.of(compiled.backends().get("app/a")), closed);
        assertFalse(compiled.backends().get("app/a").keepsConnections());
        assertTrue(compiled.backends().get("app/b").keepsConnections());
    }
}
