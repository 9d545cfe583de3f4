package dev.turnout.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteConfigReaderTest {

    private static List<RouteConfig> read(String routes, ConfigProblems problems) {
        return RouteConfigReader.read(ConfigFactory.parseString("pools { app {}, canary {} }\nroutes = " + routes), problems);
    }

    @Test
    void readsEachFieldWithItsDefaults() {
        ConfigProblems problems = new ConfigProblems();

        List<RouteConfig> routes = read("[ { name = web, split { app = 90, canary = 10 }, sticky { cookie = uid }, "
                + "pool-header = X-Pool, max-body-size = 1KiB }, { name = api, path-prefix = \"/api\", split { app = 100 }, "
                + "cache = false, retry-methods = [GET] } ]", problems);

        problems.throwIfAny();
        RouteConfig web = routes.get(0);
        assertEquals("*", web.host());
        assertEquals(Map.of("app", 90, "canary", 10), web.split());
        assertEquals("uid", web.sticky().cookie());
        assertEquals("X-Pool", web.poolHeader());
        assertEquals(1024, web.maxBodySize());
        RouteConfig api = routes.get(1);
        assertNull(api.poolHeader());
        assertEquals(Set.of("GET"), api.retryMethods());
        assertEquals(false, api.cache());
    }

    @Test
    void aBadRouteIsLeftOutWithEachOfItsProblemsAndTheOthersAreRead() {
        ConfigProblems problems = new ConfigProblems();

        List<RouteConfig> routes = read("[ { name = \"bad name\", path-prefix = api, split { app = 100 } }, "
                + "{ name = web, split { app = 100 } } ]", problems);

        assertEquals(List.of("web"), routes.stream().map(RouteConfig::name).toList());
        ConfigError error = assertThrows(ConfigError.class, problems::throwIfAny);
        assertEquals(List.of("turnout.routes[0].name", "turnout.routes[0].path-prefix"),
                error.all().stream().map(ConfigError::key).toList());
    }
}
