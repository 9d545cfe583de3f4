package dev.turnout.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which keys a reload refuses (they need a restart) and which settings it reports as changed live. */
class ConfigDiffTest {

    private static final String BASE = """
            listen = "127.0.0.1:8080"
            pools { app { backends = [ { id = a1, address = "127.0.0.1:9001" } ] } }
            routes = [ { name = web, split { app = 100 } } ]
            """;

    private static TurnoutConfig config(String extra) {
        return ConfigLoader.parse("turnout {\n" + BASE + extra + "\n}");
    }

    private static List<String> restartKeys(String extra) {
        return ConfigDiff.needingRestart(config(""), config(extra)).stream().map(ConfigDiff.Restart::key).toList();
    }

    @Test
    void listenersThreadsStateMetricsAndTheCacheSwitchNeedARestart() {
        assertEquals(List.of(), restartKeys(""));
        assertEquals(List.of("turnout.listen"), restartKeys("listen = \"127.0.0.1:8081\""));
        assertEquals(List.of("turnout.io-threads"), restartKeys("io-threads = 3"));
        assertEquals(List.of("turnout.admin.listen", "turnout.admin.hosts"),
                restartKeys("admin { listen = \"127.0.0.1:9191\", hosts = [edge.internal] }"));
        assertEquals(List.of("turnout.admin.tokens"), restartKeys("admin.token = s3cret"));
        assertEquals(List.of("turnout.state-file", "turnout.state"),
                restartKeys("state-file = other.json\nstate { store = etcd, etcd.instance = e1 }"));
        assertEquals(List.of("turnout.metrics.enabled", "turnout.cache.enabled"),
                restartKeys("metrics.enabled = false\ncache.enabled = false"));
    }

    @Test
    void aRefusalSaysWhatWouldChangeButNeverATokensValue() {
        ConfigDiff.Restart listen = ConfigDiff.needingRestart(config(""), config("listen = \"127.0.0.1:8081\"")).get(0);
        assertTrue(listen.problem().startsWith("127.0.0.1:8080 -> 127.0.0.1:8081: only a restart can change it"),
                listen.problem());
        ConfigDiff.Restart token = ConfigDiff.needingRestart(config(""), config("admin.token = s3cret")).get(0);
        assertTrue(!token.problem().contains("s3cret"), token.problem());
    }

    @Test
    void settingsThatChangeLiveAreListedKeyByKey() {
        assertEquals(List.of(), ConfigDiff.settingsChanged(config(""), config("")));
        assertEquals(List.of("turnout.timeouts.request", "turnout.limits.header-count", "turnout.compression.types",
                "turnout.cache.max-size", "turnout.shutdown.grace"),
                ConfigDiff.settingsChanged(config(""), config("""
                        timeouts.request = 3s
                        limits.header-count = 50
                        compression.types = ["text/*"]
                        cache.max-size = 100MiB
                        shutdown.grace = 1s
                        pools { app { retries = 0 } }
                        """)), "a pool's settings are reported with the pools, not here");
    }
}
