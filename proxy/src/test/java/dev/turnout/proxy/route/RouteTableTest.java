package dev.turnout.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.turnout.proxy.config.ConfigLoader;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private final RouteTable table = RouteTable.fromConfig(ConfigLoader.parse("""
            turnout {
              pools {
                a { backends = [ { id = a1, address = "127.0.0.1:9001" } ] }
                b { backends = [ { id = b1, address = "127.0.0.1:9002" } ] }
              }
              routes = [
                { name = exact,  host = "shop.example.com", path-prefix = "/", split { a = 100 } }
                { name = suffix, host = "*.example.com", path-prefix = "/api", split { b = 100 } }
                { name = split,  host = "*", path-prefix = "/canary", split { a = 90, b = 10 } }
                { name = api,    host = "*", path-prefix = "/api", split { a = 100 } }
              ]
            }
            """));

    @Test
    void exactHostMatchesIgnoringCaseAndPort() {
        assertEquals("exact", name("SHOP.example.com:8080", "/anything"));
        assertEquals("exact", name("shop.example.com", "/api/x"), "first match wins");
    }

    @Test
    void wildcardSuffixMatchesSubdomainsOnly() {
        assertEquals("suffix", name("a.example.com", "/api/users"));
        assertEquals("suffix", name("a.b.example.com", "/api"));
        assertEquals("api", name("example.com", "/api"), "*.example.com does not match example.com itself");
    }

    @Test
    void pathPrefixIsAPlainPrefixAndIgnoresTheQuery() {
        assertEquals("api", name("other.org", "/apis?x=/canary"));
        assertEquals("split", name("other.org", "/canary/page?q=1"));
        assertNull(table.match("other.org", "/"), "no route for /");
        assertNull(table.match(null, "/"), "no Host: only * routes can match, and none matches /");
    }

    @Test
    void absoluteFormTargetsMatchOnTheirPath() {
        assertEquals("api", name("other.org", "http://other.org/api/v1"));
    }

    @Test
    void splitSendsExactSharesToEachPool() {
        Route route = table.match("x", "/canary");
        Map<String, Integer> counts = new HashMap<>();

        for (int i = 0; i < 100; i++) {
            counts.merge(route.pickPool().name(), 1, Integer::sum);
        }

        assertEquals(Map.of("a", 90, "b", 10), counts);
    }

    @Test
    void normalizesHosts() {
        assertEquals("[::1]", RouteTable.normalizeHost("[::1]:8080"));
        assertEquals("example.com", RouteTable.normalizeHost("Example.COM:80"));
        assertEquals("", RouteTable.normalizeHost(null));
    }

    private String name(String host, String uri) {
        Route route = table.match(host, uri);
        return route == null ? null : route.name();
    }
}
