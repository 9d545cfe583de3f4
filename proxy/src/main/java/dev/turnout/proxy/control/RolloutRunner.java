package dev.turnout.proxy.control;

import dev.turnout.proxy.stats.LatencyReservoir;
import dev.turnout.proxy.stats.RequestTally;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Runs rollouts for {@link RuntimeControl}: it takes the figures at the start of each interval (and
 * restarts both pools' latency reservoirs), schedules the judgement at its end, and feeds
 * {@link RolloutJudge}. Every method runs under RuntimeControl's lock, which also serialises the
 * judgements with admin changes; the ticks themselves come from the scheduler thread and take that
 * lock through {@code onTick}.
 */
final class RolloutRunner {

    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final BiFunction<String, String, RequestTally> tallies;
    private final BiFunction<String, String, LatencyReservoir> latencies;
    private final MeterRegistry registry;
    private final Map<String, Interval> intervals = new HashMap<>();
    // Read by gauges at scrape time, outside the lock.
    private final Map<String, Integer> stepByRoute = new ConcurrentHashMap<>();
    private final Map<String, Integer> runningByRoute = new ConcurrentHashMap<>();

    /** The figures at the start of a route's current interval, and the judgement scheduled at its end. */
    private record Interval(RequestTally.Snapshot stable, RequestTally.Snapshot canary, ScheduledFuture<?> judgement) {
    }

    RolloutRunner(ScheduledExecutorService scheduler, Clock clock, BiFunction<String, String, RequestTally> tallies,
            BiFunction<String, String, LatencyReservoir> latencies, MeterRegistry registry) {
        this.scheduler = scheduler;
        this.clock = clock;
        this.tallies = tallies;
        this.latencies = latencies;
        this.registry = registry;
    }

    String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** Starts counting a new interval for a running rollout and schedules its judgement through {@code onTick}. */
    void beginInterval(Rollout rollout, Consumer<String> onTick) {
        String route = rollout.route();
        cancel(route);
        ScheduledFuture<?> judgement = scheduler.schedule(() -> onTick.accept(route), rollout.intervalMillis(),
                TimeUnit.MILLISECONDS);
        latencies.apply(route, rollout.from()).restart();
        latencies.apply(route, rollout.to()).restart();
        intervals.put(route, new Interval(tally(route, rollout.from()), tally(route, rollout.to()), judgement));
        show(rollout);
    }

    /** Keeps counting the same interval (after a wait) and judges it again one interval later. */
    void extendInterval(Rollout rollout, Consumer<String> onTick) {
        Interval current = intervals.get(rollout.route());
        ScheduledFuture<?> judgement = scheduler.schedule(() -> onTick.accept(rollout.route()), rollout.intervalMillis(),
                TimeUnit.MILLISECONDS);
        intervals.put(rollout.route(), new Interval(current.stable(), current.canary(), judgement));
        show(rollout);
    }

    /** Judges the interval that just ended. */
    Rollout judge(Rollout rollout, int inRotationFrom, int inRotationTo) {
        Interval interval = intervals.get(rollout.route());
        PoolInterval stable = new PoolInterval(tally(rollout.route(), rollout.from()).since(interval.stable()),
                latencies.apply(rollout.route(), rollout.from()).samples());
        PoolInterval canary = new PoolInterval(tally(rollout.route(), rollout.to()).since(interval.canary()),
                latencies.apply(rollout.route(), rollout.to()).samples());
        Rollout judged = RolloutJudge.judge(rollout, stable, canary, inRotationFrom, inRotationTo, now());
        String verdict = switch (judged.verdicts().get(judged.verdicts().size() - 1).outcome()) {
            case WAIT -> "wait";
            case ROLLBACK -> "fail";
            default -> "pass";
        };
        Counter.builder("turnout.rollout.verdicts").description("Rollout interval verdicts: pass, fail or wait")
                .tags("route", rollout.route(), "verdict", verdict).register(registry).increment();
        return judged;
    }

    /** Whether a judgement is pending for the route's rollout. */
    boolean scheduled(String route) {
        return intervals.containsKey(route);
    }

    /** Another instance judges the fleet's rollouts from now on. */
    void cancelAll() {
        List.copyOf(intervals.keySet()).forEach(this::cancel);
    }

    /** The rollout ended (promoted, rolled back, aborted): no judgement is pending any more. */
    void ended(Rollout rollout) {
        cancel(rollout.route());
        stopSampling(rollout);
        show(rollout);
    }

    /**
     * A reload dropped the rollout (its route or a pool is gone): no judgement is pending, its gauges say none
     * runs, and its pools' durations are no longer sampled where the route still sends to them.
     */
    void dropped(Rollout rollout, Predicate<String> stillRouted) {
        cancel(rollout.route());
        for (String pool : List.of(rollout.from(), rollout.to())) {
            if (stillRouted.test(pool)) {
                latencies.apply(rollout.route(), pool).stop();
            }
        }
        stepByRoute.computeIfPresent(rollout.route(), (route, step) -> 0);
        runningByRoute.computeIfPresent(rollout.route(), (route, running) -> 0);
    }

    private void cancel(String route) {
        Interval previous = intervals.remove(route);
        if (previous != null) {
            previous.judgement().cancel(false);
        }
    }

    /** The rollout ended: its pools' durations are no longer sampled. */
    private void stopSampling(Rollout rollout) {
        latencies.apply(rollout.route(), rollout.from()).stop();
        latencies.apply(rollout.route(), rollout.to()).stop();
    }

    private RequestTally.Snapshot tally(String route, String pool) {
        return tallies.apply(route, pool).snapshot();
    }

    /** Publishes a rollout's state to the gauges (registering them for its route the first time). */
    void show(Rollout rollout) {
        watch(rollout.route());
        stepByRoute.put(rollout.route(), rollout.running() ? rollout.split().getOrDefault(rollout.to(), 0) : 0);
        runningByRoute.put(rollout.route(), rollout.running() ? 1 : 0);
    }

    /** Registers the route's rollout gauges and verdict counters, at zero, unless it has them. */
    void watch(String route) {
        if (stepByRoute.containsKey(route)) {
            return;
        }
        stepByRoute.put(route, 0);
        runningByRoute.put(route, 0);
        Gauge.builder("turnout.rollout.step.percent", stepByRoute, m -> m.getOrDefault(route, 0))
                .description("The canary's share of the route while a rollout runs, in percent; 0 when none runs")
                .tag("route", route).register(registry);
        Gauge.builder("turnout.rollout.running", runningByRoute, m -> m.getOrDefault(route, 0))
                .description("1 while a rollout runs on the route").tag("route", route).register(registry);
        for (String verdict : new String[] {"pass", "fail", "wait"}) {
            Counter.builder("turnout.rollout.verdicts").description("Rollout interval verdicts: pass, fail or wait")
                    .tags("route", route, "verdict", verdict).register(registry);
        }
    }
}
