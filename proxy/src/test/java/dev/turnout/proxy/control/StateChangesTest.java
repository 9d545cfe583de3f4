package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnout.admin.ReloadView;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.pool.AdminState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateChangesTest {

    private static RuntimeState state(String text) {
        return RuntimeState.fromConfig(ConfigLoader.parse("turnout { state-file = \"\"\n" + text + "\n}"));
    }

    private static final RuntimeState BEFORE = state("""
            pools {
              app { backends = [ { id = a1, address = "127.0.0.1:9001" }, { id = a2, address = "127.0.0.1:9002" } ] }
              old { backends = [ { id = o1, address = "127.0.0.1:9003" } ] }
            }
            routes = [ { name = web, split { app = 100 } }, { name = legacy, path-prefix = "/old", split { old = 100 } } ]
            """);

    @Test
    void namesWhatWasAddedRemovedAndChangedSorted() {
        RuntimeState after = state("""
                pools {
                  app { balancer = least-request, backends = [ { id = a1, address = "127.0.0.1:9001", weight = 3 },
                        { id = a3, address = "127.0.0.1:9004" } ] }
                  api { backends = [ { id = p1, address = "127.0.0.1:9005" } ] }
                }
                routes = [ { name = web, host = "example.com", split { app = 100 } }, { name = api, split { api = 100 } } ]
                """);

        StateChanges changes = StateChanges.between(BEFORE, after);

        assertEquals(new ReloadView.Changes(List.of("api"), List.of("legacy"), List.of("web")), changes.routes());
        assertEquals(new ReloadView.Changes(List.of("api"), List.of("old"), List.of("app")), changes.pools());
        assertEquals(new ReloadView.Changes(List.of("api/p1", "app/a3"), List.of("app/a2", "old/o1"), List.of("app/a1")),
                changes.backends());
    }

    @Test
    void aSplitOrAnAdminStateIsAChangeAndTheSameStateIsNone() {
        RuntimeState drained = BEFORE.withBackend("app", BEFORE.pools().get("app").backend("a2").withState(AdminState.DRAINING))
                .withSplit("web", Map.of("app", 100));
        assertEquals(ReloadView.Changes.NONE, StateChanges.between(BEFORE, BEFORE).backends());
        assertEquals(List.of("app/a2"), StateChanges.between(BEFORE, drained).backends().changed());
        RuntimeState split = state("""
                pools {
                  app { backends = [ { id = a1, address = "127.0.0.1:9001" }, { id = a2, address = "127.0.0.1:9002" } ] }
                  old { backends = [ { id = o1, address = "127.0.0.1:9003" } ] }
                }
                routes = [ { name = web, split { app = 50, old = 50 } },
                           { name = legacy, path-prefix = "/old", split { old = 100 } } ]
                """);
        assertEquals(List.of("web"), StateChanges.between(BEFORE, split).routes().changed());
    }
}
