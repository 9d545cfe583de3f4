package dev.turnout.bench;

import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link RouteTable#match} over a handful of routes, as the data plane calls it once per request:
 * a hit on the first route, a hit on the last (the fall-through {@code *} route after every other
 * was tried), a suffix-host hit in the middle, and a miss.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar RouteLookup -f 1 -wi 2 -i 3 -w 1s -r 1s</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouteLookupBenchmark {

    private RouteTable routes;
    private RouteTable noCatchAll;

    @Setup
    public void setUp() {
        String pools = """
                pools {
                  stable { backends = [ { id = app1, address = "127.0.0.1:9001" }, { id = app2, address = "127.0.0.1:9002" } ] }
                  canary { backends = [ { id = app3, address = "127.0.0.1:9003" } ] }
                  static { backends = [ { id = cdn1, address = "127.0.0.1:9004" } ] }
                }
                """;
        String specific = """
                  { name = api-v2, host = "api.example.com", path-prefix = "/v2/", split { stable = 95, canary = 5 } }
                  { name = api, host = "api.example.com", path-prefix = "/", split { stable = 100 } }
                  { name = assets, host = "*.cdn.example.com", path-prefix = "/static/", split { static = 100 } }
                  { name = admin, host = "admin.example.com", path-prefix = "/", split { stable = 100 } }
                  { name = shop, host = "shop.example.com", path-prefix = "/cart/", split { stable = 50, canary = 50 } }
                """;
        routes = RouteTable.fromConfig(ConfigLoader.parse("turnout { " + pools + " routes = [\n" + specific
                + "  { name = web, host = \"*\", path-prefix = \"/\", split { stable = 90, canary = 10 } }\n] }"));
        noCatchAll = RouteTable.fromConfig(ConfigLoader.parse("turnout { " + pools + " routes = [\n" + specific + "] }"));
    }

    @Benchmark
    public Route firstRoute() {
        return routes.match("api.example.com", "/v2/orders/42?expand=items");
    }

    @Benchmark
    public Route suffixHostWithPort() {
        return routes.match("Img.CDN.example.com:8080", "/static/app.js");
    }

    @Benchmark
    public Route catchAllLast() {
        return routes.match("www.example.org", "/index.html");
    }

    @Benchmark
    public Route miss() {
        return noCatchAll.match("www.example.org", "/index.html");
    }
}
