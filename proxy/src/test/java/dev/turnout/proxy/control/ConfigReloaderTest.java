package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.admin.ConfigProblem;
import dev.turnout.admin.ControlException;
import dev.turnout.admin.ReloadView;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.metrics.ReloadMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reload flow: read, refuse whole (422 or 409) or put in force, and count and keep each outcome. */
class ConfigReloaderTest {

    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00.123Z");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private String text = file("");

    private static String file(String extra) {
        return "turnout { listen = \"127.0.0.1:0\", state-file = \"\"\n"
                + "pools { app { backends = [ { id = b0, address = \"127.0.0.1:9001\" } ] } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]\n" + extra + "\n}";
    }

    private ConfigReloader reloader(TurnoutConfig initial) {
        RuntimeControl control = new RuntimeControl(initial, backend -> { }, ControlCollaborators.NONE);
        ReloadMetrics metrics = new ReloadMetrics(registry, initial.hash(), 0);
        return new ConfigReloader(() -> ConfigLoader.parse(text), initial, control, metrics,
                Clock.fixed(NOW, ZoneOffset.UTC), next -> { },
                reloaded -> { });
    }

    private double reloads(String result) {
        return registry.get("turnout.config.reloads").tag("result", result).counter().count();
    }

    @Test
    void aGoodReloadPutsTheNewConfigurationInForceAndSaysWhatChanged() {
        TurnoutConfig initial = ConfigLoader.parse(text);
        ConfigReloader reloader = reloader(initial);
        assertNull(reloader.lastReload());
        text = file("routes = [ { name = web, split { app = 100 } }, "
                + "{ name = api, path-prefix = \"/api\", split { app = 100 } } ]\ntimeouts.request = 9s");

        ReloadView reloaded = reloader.reload();

        assertEquals("2026-12-07T10:00:00.123Z", reloaded.reloadedAt());
        assertEquals(List.of("api"), reloaded.routes().added());
        assertEquals(List.of("turnout.timeouts.request"), reloaded.settings());
        assertEquals(reloader.active().hash(), reloaded.configHash());
        assertTrue(!initial.hash().equals(reloaded.configHash()));
        assertEquals("success", reloader.lastReload().result());
        assertEquals(reloaded.summary(), reloader.lastReload().message());
        assertEquals(1, reloads("success"));
        assertEquals(NOW.toEpochMilli() / 1000.0,
                registry.get("turnout.config.last.reload.success.timestamp").gauge().value());
        assertEquals(1, registry.get("turnout.config.info").tag("hash", reloaded.configHash()).gauge().value());
    }

    @Test
    void aConfigurationThatDoesNotValidateIsRefusedWithEveryProblemAndChangesNothing() {
        TurnoutConfig initial = ConfigLoader.parse(text);
        ConfigReloader reloader = reloader(initial);
        text = file("routes = [ { name = web, split { app = 90 } } ]\ntimeouts.idle = -1s");

        ControlException refused = assertThrows(ControlException.class, reloader::reload);

        assertEquals(ControlException.Kind.UNPROCESSABLE, refused.kind());
        assertEquals(List.of("turnout.routes[0].split", "turnout.timeouts.idle"),
                refused.errors().stream().map(ConfigProblem::key).toList());
        assertTrue(refused.getMessage().startsWith("the configuration has 2 problems"), refused.getMessage());
        assertSame(initial, reloader.active());
        assertEquals("failure", reloader.lastReload().result());
        assertEquals(1, reloads("failure"));
        assertEquals(0, reloads("success"));
        assertEquals(0, registry.get("turnout.config.last.reload.success.timestamp").gauge().value());
    }

    @Test
    void aKeyThatNeedsARestartIsRefusedByName() {
        TurnoutConfig initial = ConfigLoader.parse(text);
        ConfigReloader reloader = reloader(initial);
        text = file("admin.listen = \"127.0.0.1:19090\"");

        ControlException refused = assertThrows(ControlException.class, reloader::reload);

        assertEquals(ControlException.Kind.CONFLICT, refused.kind());
        assertEquals("turnout.admin.listen needs a restart; nothing was changed", refused.getMessage());
        assertEquals(List.of("turnout.admin.listen"), refused.errors().stream().map(ConfigProblem::key).toList());
        assertSame(initial, reloader.active());
        assertEquals("refused", reloader.lastReload().result());
        assertEquals(1, reloads("refused"));
    }
}
