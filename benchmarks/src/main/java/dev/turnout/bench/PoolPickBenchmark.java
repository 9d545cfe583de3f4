package dev.turnout.bench;

import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
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
 * {@link Pool#pick()}, the balancer's choice of a backend, called once per request: weighted round
 * robin over five weighted backends, and least-request (two random choices) over the same five with
 * some requests in flight. Run with {@code -prof gc} to see that a pick allocates nothing.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar PoolPick -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PoolPickBenchmark {

    private Pool roundRobin;
    private Pool leastRequest;

    @Setup
    public void setUp() {
        TurnoutConfig config = ConfigLoader.parse("""
                turnout.pools {
                  rr { balancer = weighted-round-robin, backends = [BACKENDS] }
                  lr { balancer = least-request, backends = [BACKENDS] }
                }
                """.replace("BACKENDS", """
                { id = a, address = "10.0.0.1:8080", weight = 5 }, { id = b, address = "10.0.0.2:8080", weight = 3 },
                { id = c, address = "10.0.0.3:8080", weight = 2 }, { id = d, address = "10.0.0.4:8080", weight = 1 },
                { id = e, address = "10.0.0.5:8080", weight = 1 }
                """));
        roundRobin = Pool.fromConfig(config.pools().get("rr"));
        leastRequest = Pool.fromConfig(config.pools().get("lr"));
        // Least-request reads in-flight counts: give the backends unequal ones, as under load.
        for (int i = 0; i < 20; i++) {
            leastRequest.pick().requestStarted();
        }
    }

    @Benchmark
    public Backend weightedRoundRobin() {
        return roundRobin.pick();
    }

    @Benchmark
    public Backend leastRequest() {
        return leastRequest.pick();
    }
}
