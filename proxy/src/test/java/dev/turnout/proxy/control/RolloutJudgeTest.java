package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.control.Rollout.Judge;
import dev.turnout.proxy.control.Rollout.Outcome;
import dev.turnout.proxy.control.Rollout.State;
import dev.turnout.proxy.control.Rollout.Verdict;
import dev.turnout.proxy.stats.RequestTally;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The version analyzer's rules, judged on hand-made figures by the threshold judge (the other: {@link StatisticalJudgeTest}). */
class RolloutJudgeTest {

    private static final String NOW = "2026-11-26T12:00:00Z";
    private static final Rollout.Plan PLAN = new Rollout.Plan("stable", "canary", List.of(5, 25, 50, 100), Duration.ofSeconds(30),
            0.02, 1.5, 100, Judge.THRESHOLD, 0.95, 0.10);

    /** {@code requests} requests, {@code errors} of them 5xx, every one lasting {@code millis}. */
    private static PoolInterval figures(int requests, int errors, long millis) {
        RequestTally tally = new RequestTally();
        double[] latencies = new double[requests];
        for (int i = 0; i < requests; i++) {
            tally.record(i < errors ? 503 : 200, millis * 1_000_000);
            latencies[i] = millis / 1000.0;
        }
        return new PoolInterval(tally.snapshot(), latencies);
    }

    private static Rollout started() {
        return RolloutJudge.start("web", PLAN, 4, 4, NOW);
    }

    private static Outcome lastOutcome(Rollout rollout) {
        return rollout.verdicts().get(rollout.verdicts().size() - 1).outcome();
    }

    @Test
    void aPassingIntervalMovesToTheNextStepAndTheLastPassPromotes() {
        Rollout rollout = started();
        assertEquals(Map.of("stable", 95, "canary", 5), rollout.split());
        for (int expected : new int[] {25, 50}) {
            rollout = RolloutJudge.judge(rollout, figures(200, 1, 10), figures(120, 1, 11), 4, 4, NOW);
            assertEquals(State.RUNNING, rollout.state());
            assertEquals(expected, rollout.split().get("canary"));
        }
        rollout = RolloutJudge.judge(rollout, figures(200, 0, 10), figures(200, 0, 10), 4, 4, NOW);

        assertEquals(State.PROMOTED, rollout.state());
        assertEquals(Map.of("stable", 0, "canary", 100), rollout.split());
        assertEquals(List.of(Outcome.START, Outcome.PASS, Outcome.STEP, Outcome.PASS, Outcome.STEP, Outcome.PASS,
                Outcome.PROMOTE), rollout.verdicts().stream().map(Verdict::outcome).toList());
        Verdict pass = rollout.verdicts().get(1);
        assertEquals(200, pass.stable().requests());
        assertEquals(1, pass.canary().errors());
    }

    @Test
    void anErrorRateAboveTheStablePoolsByMoreThanTheLimitRollsBackAtOnce() {
        Rollout rollout = RolloutJudge.judge(started(), figures(1000, 10, 10), figures(100, 30, 10), 4, 4, NOW);

        assertEquals(State.ROLLED_BACK, rollout.state());
        assertEquals(Map.of("stable", 100, "canary", 0), rollout.split());
        assertTrue(rollout.reason().contains("5xx rate 30.00%"), rollout.reason());
        Verdict fail = rollout.verdicts().get(rollout.verdicts().size() - 2);
        assertEquals(Outcome.FAIL, fail.outcome());
        assertEquals(0.3, fail.canary().errorRate(), 1e-9);
        assertEquals(Outcome.ROLLBACK, lastOutcome(rollout));
    }

    @Test
    void theErrorLimitIsADifferenceOfRatesNotAnAbsoluteRate() {
        // 10 % against 9 %: one point more, within the two allowed.
        Rollout rollout = RolloutJudge.judge(started(), figures(1000, 90, 10), figures(100, 10, 10), 4, 4, NOW);
        assertEquals(State.RUNNING, rollout.state());
        // 12 % against 9 %: three points more.
        rollout = RolloutJudge.judge(started(), figures(1000, 90, 10), figures(100, 12, 10), 4, 4, NOW);
        assertEquals(State.ROLLED_BACK, rollout.state());
    }

    @Test
    void aSlowCanaryFailsOnItsP95() {
        Rollout within = RolloutJudge.judge(started(), figures(200, 0, 20), figures(200, 0, 28), 4, 4, NOW);
        assertEquals(State.RUNNING, within.state(), "1.4 x is within 1.5 x");

        Rollout slow = RolloutJudge.judge(started(), figures(200, 0, 20), figures(200, 0, 50), 4, 4, NOW);
        assertEquals(State.ROLLED_BACK, slow.state());
        assertTrue(slow.reason().contains("p95"), slow.reason());
    }

    @Test
    void tooFewRequestsOnEitherSideWaitAndWaitsDoNotPileUp() {
        Rollout rollout = started();
        for (int i = 0; i < 3; i++) {
            rollout = RolloutJudge.judge(rollout, figures(500, 0, 10), figures(99, 99, 10), 4, 4, NOW);
            assertEquals(State.RUNNING, rollout.state(), "99 canary requests are not enough to judge");
            assertTrue(RolloutJudge.waited(rollout));
        }
        assertEquals(List.of(Outcome.START, Outcome.WAIT), rollout.verdicts().stream().map(Verdict::outcome).toList());
        assertEquals(5, rollout.split().get("canary"), "the step holds");

        rollout = RolloutJudge.judge(rollout, figures(500, 0, 10), figures(100, 0, 10), 4, 4, NOW);
        assertFalse(RolloutJudge.waited(rollout));
        assertEquals(25, rollout.split().get("canary"));
    }

    @Test
    void aStepIsCappedByTheCanarysShareOfBackendsInRotation() {
        Rollout rollout = RolloutJudge.start("web", new Rollout.Plan("stable", "canary", List.of(50, 100),
                Duration.ofSeconds(1), 0.02, 1.5, 10, Judge.THRESHOLD, 0.95, 0.10), 4, 1, NOW);
        assertEquals(50, rollout.step(), "the plan's step");
        assertEquals(20, rollout.split().get("canary"), "one canary backend of five in rotation");
        assertTrue(rollout.verdicts().get(0).reason().contains("capped"), rollout.verdicts().get(0).reason());

        rollout = RolloutJudge.judge(rollout, figures(100, 0, 10), figures(100, 0, 10), 4, 1, NOW);
        assertEquals(State.PROMOTED, rollout.state(), "a capped step that passes still moves on");
    }

    @Test
    void aCanaryWithNoBackendInRotationRollsBack() {
        Rollout rollout = RolloutJudge.judge(started(), figures(200, 0, 10), figures(200, 0, 10), 4, 0, NOW);

        assertEquals(State.ROLLED_BACK, rollout.state());
        assertTrue(rollout.reason().contains("no backend in rotation"), rollout.reason());
    }

    @Test
    void abortAndResumeLeaveTheirMarkInTheTrail() {
        Rollout aborted = RolloutJudge.aborted(started(), "aborted by an operator", NOW);
        assertEquals(State.ABORTED, aborted.state());
        assertEquals(Map.of("stable", 100, "canary", 0), aborted.split());

        Rollout resumed = RolloutJudge.resumed(started(), NOW);
        assertEquals(State.RUNNING, resumed.state());
        assertEquals(5, resumed.split().get("canary"));
        assertEquals(Outcome.RESUME, lastOutcome(resumed));
    }
}
