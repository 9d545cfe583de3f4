package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnout.admin.BackendView;
import dev.turnout.admin.PoolView;
import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.route.RouteTable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ViewsTest {

    private static final String CONFIG = """
            turnout {
              pools { app { backends = [ { id = a, address = "127.0.0.1:9001", weight = 2 } ],
                            health-check { path = "/health" } } }
              routes = [ { name = web, host = "*.example.com", path-prefix = "/api", split { app = 100 } } ]
            }
            """;
    private static final RouteTable TABLE = table();

    private static RouteTable table() {
        RuntimeState state = RuntimeState.fromConfig(ConfigLoader.parse(CONFIG));
        return new SnapshotCompiler(new RoutePolicies(() -> 1, System::nanoTime)).compile(state, Map.of(), 0).table();
    }

    @Test
    void aBackendShowsWhatTheSnapshotRoutesBy() {
        Pool pool = TABLE.pools().get("app");
        PoolMember member = pool.members().get(0);
        Backend backend = member.backend();
        backend.requestStarted();
        PoolMember draining = new PoolMember(backend, member.weight(), AdminState.DRAINING, member.health(), false, true);

        BackendView view = Views.backend("app", draining, new FileStateStore(null), true);

        assertEquals(new BackendView("app", "a", "127.0.0.1:9001", 2, "draining", "unknown", 1, false, true, null), view);
        backend.requestFinished();
        assertEquals("drained", Views.backend("app", draining, new FileStateStore(null), false).state());
    }

    @Test
    void aPoolShowsItsBackendsAndHealthCheckAndARouteItsMatch() {
        PoolView pool = Views.pool(TABLE.pools().get("app"),
                (name, m) -> Views.backend(name, m, new FileStateStore(null), false));

        assertEquals("weighted-round-robin", pool.balancer());
        assertEquals("/health", pool.healthCheck());
        assertEquals(List.of("a"), pool.backends().stream().map(BackendView::id).toList());
        assertEquals("*.example.com /api {app=100}", RouteViews.of(TABLE.routes().get(0)).host() + " "
                + RouteViews.of(TABLE.routes().get(0)).pathPrefix() + " " + RouteViews.of(TABLE.routes().get(0)).split());
    }
}
