package dev.turnout.bench;

import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.metrics.TrafficMetrics;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import java.util.List;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What counting one exchange costs the event loop: {@link TrafficMetrics#record} as the data plane
 * calls it at the end of every exchange (request counter, duration histogram, rollout tally), on
 * two threads as on the two event loops of a 2-core machine.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar MetricsRecord -f 1 -wi 2 -i 3 -w 1s -r 1s</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class MetricsRecordBenchmark {

    private TrafficMetrics metrics;
    private Route route;
    private Pool pool;
    private Backend backend;

    @Setup
    public void setUp() {
        RouteTable table = RouteTable.fromConfig(ConfigLoader.parse("""
                turnout {
                  pools { stable { backends = [ { id = app1, address = "127.0.0.1:9001" } ] } }
                  routes = [ { name = web, split { stable = 100 } } ]
                }
                """));
        metrics = new TrafficMetrics(new RoutingState(table), List.of());
        route = table.routes().get(0);
        pool = table.pools().get("stable");
        backend = pool.members().get(0).backend();
    }

    @TearDown
    public void tearDown() {
        metrics.close();
    }

    @Benchmark
    public void record() {
        metrics.record(route, pool, backend, 200, 1_250_000);
    }
}
