package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnout.admin.ControlException;
import dev.turnout.admin.InstanceView;
import dev.turnout.admin.ReloadView;
import dev.turnout.admin.TrafficView;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.stats.TrafficHistory;
import dev.turnout.proxy.stats.TrafficSummary;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

/** What RuntimeControl hands admin calls to beyond the routing state, and what it answers without each. */
class ControlCollaboratorsTest {

    private static final TurnoutConfig CONFIG = ConfigLoader.parse("""
            turnout {
              state-file = ""
              pools { stable { backends = [ { id = s1, address = "127.0.0.1:9001" } ] } }
              routes = [ { name = web, split { stable = 100 } } ]
            }
            """);

    private static RuntimeControl control(ControlCollaborators collaborators) {
        return new RuntimeControl(CONFIG, backend -> { }, collaborators);
    }

    @Test
    void eachWithAddsOneAndKeepsTheOthers() {
        ToIntFunction<String> byPrefix = prefix -> 1;
        ToIntFunction<Set<String>> byTags = tags -> 2;
        Supplier<TrafficSummary> traffic = () -> null;
        Supplier<TrafficHistory.Samples> history = () -> null;
        Supplier<InstanceView> instance = () -> null;
        Supplier<ReloadView> reload = () -> null;

        ControlCollaborators all = ControlCollaborators.NONE.withReload(reload).withCache(byPrefix, byTags)
                .withInstance(instance).withMetrics(traffic, history);

        assertEquals(new ControlCollaborators(byPrefix, byTags, traffic, history, instance, reload), all);
        assertEquals(new ControlCollaborators(null, null, null, null, null, null), ControlCollaborators.NONE);
    }

    @Test
    void withoutThemTheApiSaysWhatThisProxyRunsWithout() {
        RuntimeControl control = control(ControlCollaborators.NONE);

        assertEquals(0, control.purgeCache(""), "no cache: nothing to drop");
        assertEquals(0, control.purgeCacheTags(Set.of("a")));
        assertNull(control.traffic(), "metrics off: no figures");
        assertNull(control.instance());
        ControlException noHistory = assertThrows(ControlException.class, control::history);
        assertEquals(ControlException.Kind.NOT_FOUND, noHistory.kind());
        assertEquals("no history: turnout.metrics.enabled is false", noHistory.getMessage());
        ControlException noReload = assertThrows(ControlException.class, control::reloadConfiguration);
        assertEquals(ControlException.Kind.CONFLICT, noReload.kind());
        assertEquals("this Turnout was started without a configuration to read again", noReload.getMessage());
    }

    @Test
    void withThemEachCallGoesToItsOwnAndFiguresAreShownAsApiViews() {
        List<Object> purged = new ArrayList<>();
        InstanceView process = new InstanceView("1.0", 0, 1, 2, null, "abc", null);
        ReloadView reloaded = new ReloadView("2026-12-07T10:00:00Z", "abc", ReloadView.Changes.NONE, ReloadView.Changes.NONE,
                ReloadView.Changes.NONE, List.of(), List.of());
        TrafficSummary counted = new TrafficSummary(5, Map.of("stable", new TrafficSummary.Figures(3, 1, 0.5)),
                Map.of("stable", Map.of("s1", new TrafficSummary.Figures(3, 1, 0.5))));
        TrafficHistory.Samples sampled = new TrafficHistory.Samples(Duration.ofSeconds(1), Map.of(), Map.of());
        RuntimeControl control = control(ControlCollaborators.NONE
                .withCache(prefix -> purged.add(prefix) ? 7 : 0, tags -> purged.add(tags) ? 8 : 0)
                .withMetrics(() -> counted, () -> sampled).withInstance(() -> process).withReload(() -> reloaded));

        assertEquals(7, control.purgeCache("/img/"));
        assertEquals(8, control.purgeCacheTags(Set.of("a")));
        assertEquals(List.of("/img/", Set.of("a")), purged);
        assertEquals(new TrafficView(5, Map.of("stable", new TrafficView.Figures(3, 1, 0.5)),
                Map.of("stable", Map.of("s1", new TrafficView.Figures(3, 1, 0.5)))), control.traffic());
        assertEquals("1s", control.history().interval());
        assertSame(process, control.instance());
        assertSame(reloaded, control.reloadConfiguration());
    }
}
