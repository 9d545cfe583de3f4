package dev.turnout.proxy.config;

import static dev.turnout.proxy.config.ConfigLoader.object;
import static dev.turnout.proxy.config.ConfigLoader.positive;
import static dev.turnout.proxy.config.ConfigLoader.requireKnownKeys;
import static dev.turnout.proxy.config.ConfigLoader.string;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** A pool's {@code discovery} section and {@code turnout.dns}, for {@link ConfigLoader}. */
final class DiscoveryConfigReader {

    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    /** Dot-separated labels of letters, digits, '-' and '_' (SRV names start with _service._proto), maybe rooted. */
    private static final Pattern DNS_NAME = Pattern.compile("(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,62})\\.)*"
            + "[A-Za-z0-9_][A-Za-z0-9_-]{0,62}\\.?");

    private DiscoveryConfigReader() {
    }

    /** The pool's discovery, or null when it lists its backends; {@code hasBackends}: whether it lists some. */
    static DiscoveryConfig discovery(Config p, String poolKey, boolean hasBackends) {
        if (!p.hasPath("discovery")) {
            return null;
        }
        String key = poolKey + ".discovery";
        Config d = object(p, poolKey, "discovery").toConfig();
        if (hasBackends) {
            throw new ConfigError(key + ": set beside backends (expected: either backends = [...] or discovery { ... }, "
                    + "not both)");
        }
        requireKnownKeys(d.root(), key, ConfigKeys.DISCOVERY.keys());
        String name = string(d, key, "dns").trim();
        if (!DNS_NAME.matcher(name).matches()) {
            throw ConfigError.of(key + ".dns", name, "a DNS name such as app.internal or _http._tcp.app.internal");
        }
        DiscoveryConfig.Type type = type(d, key);
        int port = 0;
        if (type == DiscoveryConfig.Type.A) {
            if (!d.hasPath("port")) {
                throw new ConfigError(key + ".port: missing (expected: the backends' port, 1-65535, with type = A)");
            }
            port = port(d, key);
        } else if (d.hasPath("port")) {
            throw ConfigError.of(key + ".port", d.getValue("port").unwrapped(), "no port with type = SRV: its records give them");
        }
        Duration interval = d.hasPath("interval") ? positive(d, key, "interval") : DEFAULT_INTERVAL;
        return new DiscoveryConfig(name, type, port, interval);
    }

    private static DiscoveryConfig.Type type(Config d, String key) {
        if (!d.hasPath("type")) {
            return DiscoveryConfig.Type.A;
        }
        String text = string(d, key, "type").trim();
        for (DiscoveryConfig.Type type : DiscoveryConfig.Type.values()) {
            if (type.name().equals(text.toUpperCase(Locale.ROOT))) {
                return type;
            }
        }
        throw ConfigError.of(key + ".type", text, "A (A and AAAA records) or SRV");
    }

    private static int port(Config d, String key) {
        int port;
        try {
            port = d.getInt("port");
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw ConfigError.of(key + ".port", d.getValue("port").unwrapped(), "a port from 1 to 65535");
        }
        return port;
    }

    /** {@code turnout.dns}: the name servers discovery asks, none for the system's. */
    static DnsConfig dns(Config c) {
        String key = "turnout.dns";
        Config d = object(c, "turnout", "dns").toConfig();
        requireKnownKeys(d.root(), key, ConfigKeys.DNS.keys());
        List<String> texts;
        try {
            texts = d.getStringList("resolvers");
        } catch (ConfigException.Missing | ConfigException.WrongType e) {
            throw ConfigError.of(key + ".resolvers", d.hasPath("resolvers") ? d.getValue("resolvers").unwrapped() : "missing",
                    "a list such as [\"10.0.0.2:53\"], or [] for the system's resolv.conf");
        }
        List<InetSocketAddress> resolvers = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String entryKey = key + ".resolvers[" + i + "]";
            resolvers.add(HostPort.parse(entryKey, texts.get(i), false).resolve(entryKey));
        }
        return new DnsConfig(resolvers);
    }
}
