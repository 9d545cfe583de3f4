package dev.turnout.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentVariablesTest {

    private static final String FILE = """
            turnout {
              listen = "127.0.0.1:0"
              pools { stable { backends = [ { id = app1, address = "127.0.0.1:9001" } ] } }
              routes = [ { name = web, split { stable = 100 } } ]
              timeouts { connect = 500ms }
            }
            """;

    private final List<String> warnings = new ArrayList<>();

    private TurnoutConfig load(String file, Map<String, String> environment) {
        Config base = ConfigFactory.parseString(file).withFallback(ConfigFactory.defaultReference());
        return EnvironmentVariables.compile(base, environment, ConfigLoader::compile, warnings::add);
    }

    @Test
    void variablesNamingKnownKeysOverrideTheFileAfterTheTypesafeConvention() {
        TurnoutConfig config = load(FILE, Map.of(
                "TURNOUT_IO__THREADS", "4",
                "TURNOUT_TIMEOUTS_CONNECT", "3s",
                "TURNOUT_ADMIN_TOKEN", "secret-token-of-some-length",
                "PATH", "/usr/bin"));

        assertEquals(4, config.ioThreads());
        assertEquals(Duration.ofSeconds(3), config.timeouts().connect(), "the variable wins over the file's 500ms");
        assertEquals("secret-token-of-some-length", config.admin().tokens().get(0).value());
        assertEquals(List.of(), warnings);
    }

    @Test
    void otherTurnoutVariablesAreLeftOutWithOneWarningNamingTheNearestKey() {
        TurnoutConfig config = load(FILE, Map.of(
                "TURNOUT_FOO", "1",
                "TURNOUT_EXTRA_CONF", "/etc/extra.conf",
                "TURNOUT_TIMEOUT_CONNECT", "3s",
                "TURNOUT_ADMIN_TOKN", "secret",
                "TURNOUT_LISTEN_PORT", "80",
                "TURNOUT_IO__THREADS", "2"));

        assertEquals(2, config.ioThreads(), "the known one still applies");
        assertEquals(Duration.ofMillis(500), config.timeouts().connect());
        assertEquals(1, warnings.size(), warnings.toString());
        assertEquals("ignoring environment variables that name no configuration key: "
                + "TURNOUT_ADMIN_TOKN (nearest known key: TURNOUT_ADMIN_TOKEN); TURNOUT_EXTRA_CONF; TURNOUT_FOO; "
                + "TURNOUT_LISTEN_PORT; TURNOUT_TIMEOUT_CONNECT (nearest known key: TURNOUT_TIMEOUTS_CONNECT)",
                warnings.get(0));
        assertTrue(!warnings.get(0).contains("secret"), "values are never shown");
    }

    @Test
    void theFilesOwnUnknownKeyIsStillAnError() {
        ConfigError error = assertThrows(ConfigError.class, () -> load(FILE.replace("connect = 500ms", "conect = 500ms"),
                Map.of("TURNOUT_FOO", "1")));

        assertTrue(error.getMessage().startsWith("turnout.timeouts.conect: unknown key"), error.getMessage());
    }

    @Test
    void aKnownKeyWithABadValueIsStillAnError() {
        ConfigError error = assertThrows(ConfigError.class, () -> load(FILE, Map.of("TURNOUT_IO__THREADS", "many")));

        assertTrue(error.getMessage().contains("io-threads"), error.getMessage());
    }

    @Test
    void namesAndKeysConvertBothWays() {
        assertEquals("TURNOUT_IO__THREADS", EnvironmentVariables.nameOf("turnout.io-threads"));
        assertEquals("TURNOUT_STATE_ETCD_LEASE__TTL", EnvironmentVariables.nameOf("turnout.state.etcd.lease-ttl"));
        assertEquals(1, EnvironmentVariables.distance("tokn", "token"));
        assertEquals(3, EnvironmentVariables.distance("foo", "tls"));
        assertEquals(0, EnvironmentVariables.distance("listen", "listen"));
    }
}
