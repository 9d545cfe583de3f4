package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnout.admin.BackendView;
import dev.turnout.admin.ControlException;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.policy.RoutePolicies;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class SnapshotViewsTest {

    private final TurnoutConfig config = ConfigLoader.parse("""
            turnout { state-file = ""
              pools { app { health-check { path = "/health" }
                            backends = [ { id = a1, address = "127.0.0.1:9001", weight = 3 } ] } }
              routes = [ { name = web, path-prefix = "/w", split { app = 100 } } ]
            }
            """);
    private final SnapshotViews views = new SnapshotViews(new SnapshotCompiler(RuntimeState.fromConfig(config),
            config.settings(), UnaryOperator.identity(), new RoutePolicies(() -> 1, System::nanoTime), b -> { }).routing(),
            new FileStateStore(null), (pool, id) -> false);

    @Test
    void showsTheSnapshotInForce() {
        BackendView a1 = views.backend("app", "a1");
        assertEquals(3, a1.weight());
        assertEquals("active", a1.state());
        assertEquals("unknown", a1.health());
        assertNull(a1.fleet(), "no fleet alone");
        assertEquals("/health", views.pool("app").healthCheck());
        assertEquals("/w", views.route("web").pathPrefix());
        assertEquals(1, views.pools().size());
    }

    @Test
    void unknownNamesAreNotFound() {
        assertEquals(ControlException.Kind.NOT_FOUND, assertThrows(ControlException.class, () -> views.pool("nope")).kind());
        assertEquals(ControlException.Kind.NOT_FOUND,
                assertThrows(ControlException.class, () -> views.backend("app", "nope")).kind());
        assertEquals(ControlException.Kind.NOT_FOUND, assertThrows(ControlException.class, () -> views.route("nope")).kind());
    }
}
