package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.control.Rollout.Judge;
import dev.turnout.proxy.control.Rollout.Outcome;
import dev.turnout.proxy.control.Rollout.State;
import dev.turnout.proxy.control.Rollout.Tests;
import dev.turnout.proxy.control.Rollout.Verdict;
import dev.turnout.proxy.stats.LatencyReservoir;
import dev.turnout.proxy.stats.RequestTally;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The statistical judge, fed samples straight from seeded generators: no clock, no sockets. */
class StatisticalJudgeTest {

    private static final String NOW = "2026-12-06T12:00:00Z";
    /** Requests through the route in one interval; the step decides how many of them the canary gets. */
    private static final int REQUESTS_PER_INTERVAL = 10_000;

    private static Rollout.Plan plan(long minRequests, double confidence) {
        return new Rollout.Plan("stable", "canary", List.of(5, 25, 50, 100), Duration.ofSeconds(30), 0.02, 1.5, minRequests,
                Judge.MANN_WHITNEY, confidence, 0.10);
    }

    /** One pool's interval from exact durations in milliseconds, the first {@code errors} of them 5xx. */
    private static PoolInterval interval(int errors, double... millis) {
        RequestTally tally = new RequestTally();
        double[] seconds = new double[millis.length];
        for (int i = 0; i < millis.length; i++) {
            tally.record(i < errors ? 503 : 200, (long) (millis[i] * 1e6));
            seconds[i] = millis[i] / 1000;
        }
        Arrays.sort(seconds);
        return new PoolInterval(tally.snapshot(), seconds);
    }

    /**
     * {@code requests} requests drawn from {@code latencyMillis}, each 5xx with {@code errorRate}; like the
     * reservoir, the sample keeps at most {@link LatencyReservoir#CAPACITY} of the durations.
     */
    private static PoolInterval generated(Random random, int requests, double errorRate, DoubleSupplier latencyMillis) {
        RequestTally tally = new RequestTally();
        double[] seconds = new double[Math.min(requests, LatencyReservoir.CAPACITY)];
        for (int i = 0; i < requests; i++) {
            double millis = latencyMillis.getAsDouble();
            tally.record(random.nextDouble() < errorRate ? 503 : 200, (long) (millis * 1e6));
            if (i < seconds.length) {
                seconds[i] = millis / 1000;
            }
        }
        Arrays.sort(seconds);
        return new PoolInterval(tally.snapshot(), seconds);
    }

    /** Runs a whole rollout: each interval's requests split by the step in force, until it ends. */
    private static Rollout run(Random random, double canaryErrorRate, DoubleSupplier stableMillis,
            DoubleSupplier canaryMillis) {
        Rollout rollout = RolloutJudge.start("web", plan(100, 0.95), 4, 4, NOW);
        for (int round = 0; rollout.running() && round < 10; round++) {
            int canaryShare = rollout.split().get("canary");
            int canaryRequests = REQUESTS_PER_INTERVAL * canaryShare / 100;
            PoolInterval stable = generated(random, REQUESTS_PER_INTERVAL - canaryRequests, 0.01, stableMillis);
            PoolInterval canary = generated(random, canaryRequests, canaryErrorRate, canaryMillis);
            rollout = RolloutJudge.judge(rollout, stable, canary, 4, 4, NOW);
        }
        return rollout;
    }

    private static DoubleSupplier uniformMillis(Random random, double low, double high) {
        return () -> low + (high - low) * random.nextDouble();
    }

    private static Verdict judged(Rollout rollout, Outcome outcome) {
        return rollout.verdicts().stream().filter(v -> v.outcome() == outcome).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void anAaRolloutIsPromoted(long seed) {
        Random random = new Random(seed);
        // Both pools the same code: 5-15 ms, 1 % 5xx.
        Rollout rollout = run(random, 0.01, uniformMillis(random, 5, 15), uniformMillis(random, 5, 15));

        assertEquals(State.PROMOTED, rollout.state(), rollout.verdicts().toString());
        List<Verdict> passes = rollout.verdicts().stream().filter(v -> v.outcome() == Outcome.PASS).toList();
        assertEquals(3, passes.size(), "judged at 5, 25 and 50 %; the last pass promotes");
        for (Verdict pass : passes) {
            assertNotNull(pass.tests(), pass.toString());
            assertTrue(pass.tests().latencyPValue() >= 0 && pass.tests().latencyPValue() <= 1, pass.toString());
            assertTrue(pass.canary().medianSeconds() > 0.005 && pass.canary().medianSeconds() < 0.015, pass.toString());
        }
    }

    @Test
    void aCanary25MillisecondsSlowerIsRolledBackWithItsPValues() {
        Random random = new Random(42);
        Rollout rollout = run(random, 0.01, uniformMillis(random, 5, 15), uniformMillis(random, 30, 40));

        assertEquals(State.ROLLED_BACK, rollout.state());
        Verdict fail = judged(rollout, Outcome.FAIL);
        assertEquals(5, fail.step(), "judged at the first step");
        assertTrue(fail.reason().contains("median"), fail.reason());
        assertTrue(fail.tests().latencyPValue() < 1e-6, fail.toString());
        assertTrue(fail.tests().medianIncrease() > 1.5, fail.toString());
        assertEquals(1.0, fail.tests().probabilitySlower(), 1e-9, "every canary request is slower than every stable one");
        assertEquals((double) fail.canary().latencySamples() * fail.stable().latencySamples(), fail.tests().u(), 1e-6);
        assertEquals(LatencyReservoir.CAPACITY, fail.stable().latencySamples(), "the stable sample is the reservoir's size");
        assertEquals(500, fail.canary().requests());
    }

    @Test
    void aCanaryWith5PercentErrorsIsRolledBackWithItsPValues() {
        Random random = new Random(7);
        Rollout rollout = run(random, 0.05, uniformMillis(random, 5, 15), uniformMillis(random, 5, 15));

        assertEquals(State.ROLLED_BACK, rollout.state());
        Verdict fail = judged(rollout, Outcome.FAIL);
        assertTrue(fail.reason().contains("5xx"), fail.reason());
        assertTrue(fail.tests().errorPValue() < 0.05, fail.toString());
        assertTrue(fail.tests().errorRateIncrease() > 0.02, fail.toString());
        assertEquals(StatisticalJudge.TWO_PROPORTION, fail.tests().errorTest(), "hundreds of requests: the z test");
        assertTrue(fail.tests().latencyPValue() > 0 && fail.tests().latencyPValue() <= 1, fail.toString());
    }

    @Test
    void handWorkedMannWhitney() {
        // Stable 1, 2, 3, 4 ms; canary 3.5, 5, 6 ms. The canary's U counts the (canary, stable) pairs where the
        // canary is slower: 3 + 4 + 4 = 11 of 12. Of the C(7,3) = 35 equally likely rankings without a difference,
        // only 2 give U >= 11 (the canary holding ranks {5,6,7} or {4,6,7}), so the one-sided exact p is 2/35.
        Rollout rollout = RolloutJudge.start("web", plan(3, 0.95), 4, 4, NOW);
        PoolInterval stable = interval(0, 1, 2, 3, 4);
        PoolInterval canary = interval(0, 3.5, 5, 6);

        Rollout judged = RolloutJudge.judge(rollout, stable, canary, 4, 4, NOW);

        Verdict pass = judged(judged, Outcome.PASS);
        Tests tests = pass.tests();
        assertEquals(11, tests.u(), 1e-12);
        assertEquals(2.0 / 35, tests.latencyPValue(), 1e-12);
        assertEquals(11.0 / 12, tests.probabilitySlower(), 1e-12);
        assertEquals(0.0025, pass.stable().medianSeconds(), 1e-12);
        assertEquals(0.005, pass.canary().medianSeconds(), 1e-12);
        assertEquals(1.0, tests.medianIncrease(), 1e-12, "twice as slow, yet p = 0.057 is not below 0.05: it passes");

        // At 90 % confidence the same figures are significant, and twice as slow is far above 10 %.
        Rollout stricter = RolloutJudge.judge(RolloutJudge.start("web", plan(3, 0.90), 4, 4, NOW), stable, canary, 4, 4,
                NOW);
        assertEquals(State.ROLLED_BACK, stricter.state());
        assertTrue(stricter.reason().contains("U=11.0") && stricter.reason().contains("p=0.0571"), stricter.reason());
    }

    @Test
    void handWorkedFisher() {
        // Canary 3 of 10 answered 5xx, stable 0 of 10. Given the 3 failures among the 20, the chance that the
        // canary's 10 hold all 3 is C(17,7) / C(20,10) = 19448 / 184756 = 2/19.
        Rollout rollout = RolloutJudge.start("web", plan(10, 0.95), 4, 4, NOW);
        double[] tenMillis = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
        Rollout judged = RolloutJudge.judge(rollout, interval(0, tenMillis), interval(3, tenMillis), 4, 4, NOW);

        Tests tests = judged(judged, Outcome.PASS).tests();
        assertEquals(StatisticalJudge.FISHER, tests.errorTest());
        assertEquals(2.0 / 19, tests.errorPValue(), 1e-12);
        assertEquals(0.3, tests.errorRateIncrease(), 1e-12, "30 points more, but 10 requests cannot tell: it passes");
        assertEquals(State.RUNNING, judged.state());
    }

    @Test
    void handWorkedTwoProportion() {
        // 60 of 1000 against 30 of 1000: pooled rate 0.045, z = 0.03 / sqrt(0.045 × 0.955 × 2/1000) = 3.23592,
        // one-sided p = 1 - Φ(z) = 0.000606248.
        Rollout rollout = RolloutJudge.start("web", plan(100, 0.95), 4, 4, NOW);
        double[] millis = new double[1000];
        Arrays.fill(millis, 10);
        Rollout judged = RolloutJudge.judge(rollout, interval(30, millis), interval(60, millis), 4, 4, NOW);

        Verdict fail = judged(judged, Outcome.FAIL);
        assertEquals(StatisticalJudge.TWO_PROPORTION, fail.tests().errorTest());
        assertEquals(0.00060624829307711, fail.tests().errorPValue(), 1e-9);
        assertEquals(0.03, fail.tests().errorRateIncrease(), 1e-12);
        assertEquals(State.ROLLED_BACK, judged.state(), "3 points more than the 2 allowed, and significant");
    }

    @Test
    void aSignificantButSmallSlowdownPasses() {
        Random random = new Random(3);
        // 5 % slower over thousands of requests: surely significant, but under the 10 % that matters.
        PoolInterval stable = generated(random, 5000, 0, uniformMillis(random, 10, 11));
        PoolInterval canary = generated(random, 5000, 0, uniformMillis(random, 10.5, 11.55));
        Rollout judged = RolloutJudge.judge(RolloutJudge.start("web", plan(100, 0.95), 4, 4, NOW), stable, canary, 4, 4,
                NOW);

        Verdict pass = judged(judged, Outcome.PASS);
        assertTrue(pass.tests().latencyPValue() < 1e-6, pass.toString());
        assertTrue(pass.tests().medianIncrease() > 0.04 && pass.tests().medianIncrease() < 0.06, pass.toString());
        assertEquals(State.RUNNING, judged.state());
    }

    @Test
    void tooFewRequestsWaitWithoutTests() {
        Rollout judged = RolloutJudge.judge(RolloutJudge.start("web", plan(100, 0.95), 4, 4, NOW),
                interval(0, 10, 11, 12), interval(3, 40, 41, 42), 4, 4, NOW);

        assertTrue(RolloutJudge.waited(judged));
        assertNull(judged(judged, Outcome.WAIT).tests());
    }
}
