package dev.turnout.bench;

import dev.turnout.proxy.balance.SmoothWeightedSequence;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link SmoothWeightedSequence#next()}: one pick per request (a pool for the route's split, then a
 * backend in the pool). Single-threaded, and from two threads sharing one sequence, as two event
 * loops do (the cursor is one {@code AtomicLong}, so the shared case shows its contention).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar SmoothWeighted -f 1 -wi 2 -i 3 -w 1s -r 1s</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SmoothWeightedSequenceBenchmark {

    private SmoothWeightedSequence<String> canarySplit;
    private SmoothWeightedSequence<String> backends;

    @Setup
    public void setUp() {
        canarySplit = SmoothWeightedSequence.of(List.of("stable", "canary"), List.of(95, 5), new AtomicLong());
        backends = SmoothWeightedSequence.of(List.of("app1", "app2", "app3", "app4", "app5"), List.of(5, 3, 2, 1, 1),
                new AtomicLong());
    }

    @Benchmark
    public String canarySplit() {
        return canarySplit.next();
    }

    @Benchmark
    public String fiveWeightedBackends() {
        return backends.next();
    }

    @Benchmark
    @Threads(2)
    public String fiveWeightedBackendsTwoThreads() {
        return backends.next();
    }
}
