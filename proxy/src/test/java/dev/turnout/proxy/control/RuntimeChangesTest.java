package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.control.Rollout.Judge;
import dev.turnout.proxy.control.RuntimeChanges.Reapplied;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.pool.AdminState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which runtime changes a reload keeps, which it drops and says so, and where the new file wins. */
class RuntimeChangesTest {

    private static final String ROUTES = "routes = [ { name = web, split { stable = 100, canary = 0 } } ]";

    private static RuntimeState configured(String pools, String routes) {
        return RuntimeState.fromConfig(ConfigLoader.parse("turnout { state-file = \"\"\npools { " + pools + " }\n" + routes
                + "\n}"));
    }

    private static String stable(int app1Weight, String app2Address) {
        return "stable { backends = [ { id = app1, address = \"127.0.0.1:9001\", weight = " + app1Weight + " }, "
                + "{ id = app2, address = \"" + app2Address + "\" } ] }\n";
    }

    private static final String CANARY = "canary { backends = [ { id = app3, address = \"127.0.0.1:9003\" } ] }\n";
    private static final RuntimeState OLD = configured(stable(1, "127.0.0.1:9002") + CANARY, ROUTES);

    private static BackendState backend(RuntimeState state, String pool, String id) {
        return state.pools().get(pool).backend(id);
    }

    private static BackendState added(String id, int port) {
        HostPort address = HostPort.parse("address", "127.0.0.1:" + port, false);
        return new BackendState(new BackendConfig(id, address, address.resolve("address"), 2), AdminState.ACTIVE,
                RuntimeState.Origin.RUNTIME);
    }

    private static Rollout rollout(String from, String to) {
        Rollout.Plan plan = new Rollout.Plan(from, to, List.of(10, 100), Duration.ofSeconds(30), 0.02, 1.5, 100,
                Judge.MANN_WHITNEY, 0.95, 0.1);
        return RolloutJudge.start("web", plan, 2, 1, "2026-12-07T10:00:00Z");
    }

    @Test
    void nothingChangedAtRuntimeGivesExactlyTheNewFile() {
        RuntimeState next = configured(stable(4, "127.0.0.1:9002") + CANARY, ROUTES);

        Reapplied reapplied = RuntimeChanges.reapply(OLD, OLD, next);

        assertEquals(next, reapplied.state());
        assertEquals(List.of(), reapplied.dropped());
    }

    @Test
    void drainsWeightsAndSplitsMadeAtRuntimeAreKeptWhileTheFileChangesTheRest() {
        RuntimeState running = OLD.withBackend("stable", backend(OLD, "stable", "app2").withState(AdminState.DRAINING)
                .withWeight(7)).withSplit("web", Map.of("stable", 90, "canary", 10));
        // The file changes app1's weight (untouched at runtime) and app2's (changed at runtime).
        RuntimeState next = configured(stable(4, "127.0.0.1:9002").replace("9002\"", "9002\", weight = 3") + CANARY, ROUTES);

        Reapplied reapplied = RuntimeChanges.reapply(running, OLD, next);

        RuntimeState state = reapplied.state();
        assertEquals(4, backend(state, "stable", "app1").config().weight(), "the file's new weight applies");
        assertEquals(7, backend(state, "stable", "app2").config().weight(), "the runtime weight wins over the file");
        assertEquals(AdminState.DRAINING, backend(state, "stable", "app2").state());
        assertEquals(Map.of("stable", 90, "canary", 10), state.route("web").split());
        assertEquals(List.of(), reapplied.dropped());
    }

    @Test
    void aBackendAddedAtRuntimeStaysWhileItsPoolExistsAndGoesWithIt() {
        RuntimeState running = OLD.withBackend("canary", added("app9", 9009));

        Reapplied kept = RuntimeChanges.reapply(running, OLD, configured(stable(1, "127.0.0.1:9002") + CANARY, ROUTES));
        assertEquals(RuntimeState.Origin.RUNTIME, backend(kept.state(), "canary", "app9").origin());
        assertEquals(2, backend(kept.state(), "canary", "app9").config().weight());

        Reapplied dropped = RuntimeChanges.reapply(running, OLD, configured(stable(1, "127.0.0.1:9002"),
                "routes = [ { name = web, split { stable = 100 } } ]"));
        assertNull(dropped.state().pools().get("canary"));
        assertEquals(List.of("the backend canary/app9 added at runtime (127.0.0.1:9009): pool canary is no longer configured"),
                dropped.dropped());
    }

    @Test
    void aRuntimeChangeOfABackendWhoseAddressChangedIsDroppedAndTheFileWins() {
        RuntimeState running = OLD.withBackend("stable", backend(OLD, "stable", "app2").withState(AdminState.DISABLED));

        Reapplied reapplied = RuntimeChanges.reapply(running, OLD, configured(stable(1, "127.0.0.1:9012") + CANARY, ROUTES));

        BackendState app2 = backend(reapplied.state(), "stable", "app2");
        assertEquals(AdminState.ACTIVE, app2.state());
        assertEquals("127.0.0.1:9012", app2.config().address().toString());
        assertEquals(List.of("the disabled state of stable/app2: its address changed from 127.0.0.1:9002 to 127.0.0.1:9012"),
                reapplied.dropped());
    }

    @Test
    void aBackendRemovedAtRuntimeStaysRemovedWhileTheFileStillNamesIt() {
        RuntimeState running = OLD.withoutBackend("stable", "app2");

        Reapplied same = RuntimeChanges.reapply(running, OLD, configured(stable(2, "127.0.0.1:9002") + CANARY, ROUTES));
        assertNull(backend(same.state(), "stable", "app2"));
        assertEquals(Set.of("app2"), same.state().removedFromConfig().get("stable"));

        Reapplied moved = RuntimeChanges.reapply(running, OLD, configured(stable(2, "127.0.0.1:9012") + CANARY, ROUTES));
        assertEquals("127.0.0.1:9012", backend(moved.state(), "stable", "app2").config().address().toString());
        assertEquals(List.of("the removal of stable/app2: it is now configured at 127.0.0.1:9012"), moved.dropped());
    }

    @Test
    void aSplitOrRolloutNamingAPoolThatIsGoneIsDroppedWithTheConfiguredSplitInstead() {
        Rollout running = rollout("stable", "canary");
        RuntimeState state = OLD.withSplit("web", running.split()).withRollout("web", running);
        RuntimeState next = configured(stable(1, "127.0.0.1:9002"), "routes = [ { name = web, split { stable = 100 } } ]");

        Reapplied reapplied = RuntimeChanges.reapply(state, OLD, next);

        assertEquals(Map.of("stable", 100), reapplied.state().route("web").split());
        assertTrue(reapplied.state().rollouts().isEmpty());
        assertEquals(2, reapplied.dropped().size(), reapplied.dropped()::toString);
        assertTrue(reapplied.dropped().get(0).startsWith("the split {"), reapplied.dropped()::toString);
        assertTrue(reapplied.dropped().get(0).endsWith("of route web: unknown pool canary (pools: [stable])"),
                reapplied.dropped()::toString);
        assertEquals("the running rollout on route web from stable to canary: pool canary is no longer configured",
                reapplied.dropped().get(1));
    }

    @Test
    void aRunningRolloutWhoseRouteAndPoolsRemainKeepsItsSplit() {
        Rollout running = rollout("stable", "canary");
        RuntimeState state = OLD.withSplit("web", running.split()).withRollout("web", running);
        RuntimeState next = configured(stable(1, "127.0.0.1:9002") + CANARY,
                ROUTES.replace("]", ", { name = api, path-prefix = \"/api\", split { stable = 100 } } ]"));

        Reapplied reapplied = RuntimeChanges.reapply(state, OLD, next);

        assertEquals(running, reapplied.state().rollouts().get("web"));
        assertEquals(running.split(), reapplied.state().route("web").split());
        assertFalse(reapplied.state().route("api") == null, "the new route is there");
        assertEquals(List.of(), reapplied.dropped());
    }

    @Test
    void aDrainOfABackendDeletedFromTheFileIsDroppedAndSaidSo() {
        RuntimeState running = OLD.withBackend("stable", backend(OLD, "stable", "app2").withState(AdminState.DRAINING));

        Reapplied reapplied = RuntimeChanges.reapply(running, OLD, configured(
                "stable { backends = [ { id = app1, address = \"127.0.0.1:9001\" } ] }\n" + CANARY, ROUTES));

        assertNull(backend(reapplied.state(), "stable", "app2"));
        assertEquals(List.of("the draining state of stable/app2: the backend is no longer configured"), reapplied.dropped());
    }
}
