package dev.turnout.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.RouteConfig;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.pool.Pool;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Sticky canary assignment: a client's key keeps it on one pool, and a growing share only moves clients toward it. */
class StickyAssignmentTest {

    private static final String POOLS = """
            pools {
              stable { backends = [ { id = s1, address = "127.0.0.1:9001" } ] }
              canary { backends = [ { id = c1, address = "127.0.0.1:9002" } ] }
            }
            """;

    private static TurnoutConfig config(String route) {
        return ConfigLoader.parse("turnout { " + POOLS + " routes = [ " + route + " ] }");
    }

    private static Route route(String routeOptions, int canaryShare) {
        TurnoutConfig config = config("{ name = web, split { stable = 100 }, " + routeOptions + " }");
        Map<String, Pool> pools = new HashMap<>();
        config.pools().forEach((name, pool) -> pools.put(name, Pool.fromConfig(pool)));
        RouteConfig web = config.routes().get(0).withSplit(Map.of("stable", 100 - canaryShare, "canary", canaryShare));
        return new Route(web, pools, RoutePolicies.alone(), new AtomicLong());
    }

    private static HttpHeaders cookie(String value) {
        return new DefaultHttpHeaders().add("Cookie", "theme=dark; session=" + value + "; lang=en");
    }

    @Test
    void aKeyStaysOnItsPoolAndOnlyMovesTowardTheGrowingCanary() {
        Map<String, String> previous = new HashMap<>();
        for (int share : new int[] {5, 25, 50, 100}) {
            Route route = route("sticky { cookie = session }", share);
            int onCanary = 0;
            for (int user = 0; user < 2000; user++) {
                String key = "user-" + user;
                String pool = route.pickPool(cookie(key)).name();
                assertEquals(pool, route.pickPool(cookie(key)).name(), "the same key, the same pool");
                if (pool.equals("canary")) {
                    onCanary++;
                }
                String before = previous.put(key, pool);
                assertTrue(before == null || before.equals(pool) || pool.equals("canary"),
                        key + " moved from " + before + " to " + pool + " at " + share + "%");
            }
            assertEquals(share * 20, onCanary, 2000 * 0.03, "about " + share + "% of 2000 keys on the canary");
        }
    }

    @Test
    void aHeaderCanBeTheKeyAndRequestsWithoutAKeyFollowTheSplit() {
        Route route = route("sticky { header = X-User }", 50);
        HttpHeaders alice = new DefaultHttpHeaders().add("X-User", "alice");
        String alicePool = route.pickPool(alice).name();
        for (int i = 0; i < 20; i++) {
            assertEquals(alicePool, route.pickPool(alice).name());
        }
        int canary = 0;
        for (int i = 0; i < 100; i++) {
            canary += route.pickPool(new DefaultHttpHeaders()).name().equals("canary") ? 1 : 0;
        }
        assertEquals(50, canary, "without a key: the split's exact sequence");
    }

    @Test
    void thePoolHeaderSendsTestersWhereTheyAskEvenAtZeroPercent() {
        Route route = route("sticky { cookie = session }, pool-header = X-Turnout-Pool", 0);
        HttpHeaders tester = cookie("tester").add("X-Turnout-Pool", "canary");
        assertEquals("canary", route.pickPool(tester).name());
        assertEquals("stable", route.pickPool(new DefaultHttpHeaders().add("X-Turnout-Pool", "nope")).name(),
                "a pool outside the split is ignored");
        Route without = route("sticky { cookie = session }", 0);
        assertEquals("stable", without.pickPool(tester).name(), "off unless configured");
    }

    @Test
    void badStickyOptionsStopStartWithTheKeyNamed() {
        String[] bad = {"sticky { }", "sticky { cookie = a, header = b }", "sticky { cookie = \"a b\" }",
            "sticky { colour = red }", "pool-header = \"X:Y\""};
        for (String option : bad) {
            ConfigError error = assertThrows(ConfigError.class, () -> config("{ name = web, split { stable = 100 }, "
                    + option + " }"), option);
            assertTrue(error.getMessage().startsWith("turnout.routes[0]."), error.getMessage());
        }
    }
}
