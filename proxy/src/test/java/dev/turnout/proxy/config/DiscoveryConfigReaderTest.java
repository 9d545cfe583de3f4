package dev.turnout.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiscoveryConfigReaderTest {

    private static TurnoutConfig parse(String pool, String extra) {
        return ConfigLoader.parse("""
                turnout {
                  pools { app { %s } }
                  routes = [ { name = web, split { app = 100 } } ]
                  %s
                }
                """.formatted(pool, extra));
    }

    private static String refused(String pool, String extra) {
        return assertThrows(ConfigError.class, () -> parse(pool, extra)).getMessage();
    }

    @Test
    void aDiscoveryPoolHasItsNameTypePortAndInterval() {
        TurnoutConfig config = parse("discovery { dns = \"app.internal\", port = 8080 }", "");
        PoolConfig app = config.pools().get("app");

        assertEquals(new DiscoveryConfig("app.internal", DiscoveryConfig.Type.A, 8080, Duration.ofSeconds(5)), app.discovery());
        assertEquals(List.of(), app.backends());
        assertEquals(new DiscoveryConfig("_http._tcp.app.internal.", DiscoveryConfig.Type.SRV, 0, Duration.ofMillis(1500)),
                parse("discovery { dns = \"_http._tcp.app.internal.\", type = srv, interval = 1500ms }", "")
                        .pools().get("app").discovery());
        assertNull(parse("backends = []", "").pools().get("app").discovery());
        assertEquals(List.of(), config.dns().resolvers(), "the system's resolvers");
    }

    @Test
    void resolversAreHostsAndPorts() {
        TurnoutConfig config = parse("backends = []", "dns.resolvers = [\"127.0.0.1:5353\", \"[::1]:53\"]");

        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 5353), new InetSocketAddress("::1", 53)),
                config.dns().resolvers());
        assertEquals("turnout.dns.resolvers[1]: \"10.0.0.2\" (expected: host:port with port 1-65535)",
                refused("backends = []", "dns.resolvers = [\"127.0.0.1:53\", \"10.0.0.2\"]"));
        assertEquals("turnout.dns.resolvers: \"10.0.0.2:53\" (expected: a list such as [\"10.0.0.2:53\"], or [] for the system's "
                + "resolv.conf)", refused("backends = []", "dns.resolvers = \"10.0.0.2:53\""));
        assertEquals("turnout.dns.resolver: unknown key (expected one of [resolvers])",
                refused("backends = []", "dns.resolver = []"));
    }

    @Test
    void aBadDiscoverySectionIsRefusedNamingTheKey() {
        assertEquals("turnout.pools.app.discovery.port: missing (expected: the backends' port, 1-65535, with type = A)",
                refused("discovery { dns = \"app.internal\" }", ""));
        assertEquals("turnout.pools.app.discovery.port: 0 (expected: a port from 1 to 65535)",
                refused("discovery { dns = \"app.internal\", port = 0 }", ""));
        assertEquals("turnout.pools.app.discovery.port: 65536 (expected: a port from 1 to 65535)",
                refused("discovery { dns = \"app.internal\", port = 65536 }", ""));
        assertEquals("turnout.pools.app.discovery.port: \"http\" (expected: a port from 1 to 65535)",
                refused("discovery { dns = \"app.internal\", port = http }", ""));
        assertEquals("turnout.pools.app.discovery.port: 8080 (expected: no port with type = SRV: its records give them)",
                refused("discovery { dns = \"_http._tcp.app\", type = SRV, port = 8080 }", ""));
        assertEquals("turnout.pools.app.discovery.type: \"MX\" (expected: A (A and AAAA records) or SRV)",
                refused("discovery { dns = \"app.internal\", type = MX, port = 80 }", ""));
        assertEquals("turnout.pools.app.discovery.interval: \"0s\" (expected: a duration above 0, such as 2s)",
                refused("discovery { dns = \"app.internal\", port = 80, interval = 0s }", ""));
        assertEquals("turnout.pools.app.discovery.dns: missing (expected: a string)", refused("discovery { port = 80 }", ""));
        assertEquals("turnout.pools.app.discovery.dns: \"app..internal\" (expected: a DNS name such as app.internal or "
                + "_http._tcp.app.internal)", refused("discovery { dns = \"app..internal\", port = 80 }", ""));
        assertEquals("turnout.pools.app.discovery.name: unknown key (expected one of [dns, interval, port, type])",
                refused("discovery { name = \"app.internal\", port = 80 }", ""));
        assertEquals("turnout.pools.app.discovery: set beside backends (expected: either backends = [...] or "
                + "discovery { ... }, not both)",
                refused("backends = [], discovery { dns = \"app.internal\", port = 80 }", ""));
    }
}
