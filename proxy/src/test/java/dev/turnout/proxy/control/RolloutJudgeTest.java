package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.admin.RolloutPlan;
import dev.turnout.admin.RolloutView;
import dev.turnout.proxy.stats.RequestTally;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The version analyzer's rules, judged on hand-made figures by the threshold judge (the other: {@link StatisticalJudgeTest}). */
class RolloutJudgeTest {

    private static final String NOW = "2026-11-26T12:00:00Z";
    private static final RolloutPlan PLAN = new RolloutPlan("stable", "canary", List.of(5, 25, 50, 100), Duration.ofSeconds(30),
            0.02, 1.5, 100, RolloutView.THRESHOLD, 0.95, 0.10);

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

    private static RolloutView started() {
        return RolloutJudge.start("web", PLAN, 4, 4, NOW);
    }

    private static String lastOutcome(RolloutView rollout) {
        return rollout.verdicts().get(rollout.verdicts().size() - 1).outcome();
    }

    @Test
    void aPassingIntervalMovesToTheNextStepAndTheLastPassPromotes() {
        RolloutView rollout = started();
        assertEquals(Map.of("stable", 95, "canary", 5), rollout.split());
        for (int expected : new int[] {25, 50}) {
            rollout = RolloutJudge.judge(rollout, figures(200, 1, 10), figures(120, 1, 11), 4, 4, NOW);
            assertEquals(RolloutView.RUNNING, rollout.state());
            assertEquals(expected, rollout.split().get("canary"));
        }
        rollout = RolloutJudge.judge(rollout, figures(200, 0, 10), figures(200, 0, 10), 4, 4, NOW);

        assertEquals(RolloutView.PROMOTED, rollout.state());
        assertEquals(Map.of("stable", 0, "canary", 100), rollout.split());
        assertEquals(List.of("start", "pass", "step", "pass", "step", "pass", "promote"),
                rollout.verdicts().stream().map(RolloutView.Verdict::outcome).toList());
        RolloutView.Verdict pass = rollout.verdicts().get(1);
        assertEquals(200, pass.stable().requests());
        assertEquals(1, pass.canary().errors());
    }

    @Test
    void anErrorRateAboveTheStablePoolsByMoreThanTheLimitRollsBackAtOnce() {
        RolloutView rollout = RolloutJudge.judge(started(), figures(1000, 10, 10), figures(100, 30, 10), 4, 4, NOW);

        assertEquals(RolloutView.ROLLED_BACK, rollout.state());
        assertEquals(Map.of("stable", 100, "canary", 0), rollout.split());
        assertTrue(rollout.reason().contains("5xx rate 30.00%"), rollout.reason());
        RolloutView.Verdict fail = rollout.verdicts().get(rollout.verdicts().size() - 2);
        assertEquals("fail", fail.outcome());
        assertEquals(0.3, fail.canary().errorRate(), 1e-9);
        assertEquals("rollback", lastOutcome(rollout));
    }

    @Test
    void theErrorLimitIsADifferenceOfRatesNotAnAbsoluteRate() {
        // 10 % against 9 %: one point more, within the two allowed.
        RolloutView rollout = RolloutJudge.judge(started(), figures(1000, 90, 10), figures(100, 10, 10), 4, 4, NOW);
        assertEquals(RolloutView.RUNNING, rollout.state());
        // 12 % against 9 %: three points more.
        rollout = RolloutJudge.judge(started(), figures(1000, 90, 10), figures(100, 12, 10), 4, 4, NOW);
        assertEquals(RolloutView.ROLLED_BACK, rollout.state());
    }

    @Test
    void aSlowCanaryFailsOnItsP95() {
        RolloutView within = RolloutJudge.judge(started(), figures(200, 0, 20), figures(200, 0, 28), 4, 4, NOW);
        assertEquals(RolloutView.RUNNING, within.state(), "1.4 x is within 1.5 x");

        RolloutView slow = RolloutJudge.judge(started(), figures(200, 0, 20), figures(200, 0, 50), 4, 4, NOW);
        assertEquals(RolloutView.ROLLED_BACK, slow.state());
        assertTrue(slow.reason().contains("p95"), slow.reason());
    }

    @Test
    void tooFewRequestsOnEitherSideWaitAndWaitsDoNotPileUp() {
        RolloutView rollout = started();
        for (int i = 0; i < 3; i++) {
            rollout = RolloutJudge.judge(rollout, figures(500, 0, 10), figures(99, 99, 10), 4, 4, NOW);
            assertEquals(RolloutView.RUNNING, rollout.state(), "99 canary requests are not enough to judge");
            assertTrue(RolloutJudge.waited(rollout));
        }
        assertEquals(List.of("start", "wait"), rollout.verdicts().stream().map(RolloutView.Verdict::outcome).toList());
        assertEquals(5, rollout.split().get("canary"), "the step holds");

        rollout = RolloutJudge.judge(rollout, figures(500, 0, 10), figures(100, 0, 10), 4, 4, NOW);
        assertFalse(RolloutJudge.waited(rollout));
        assertEquals(25, rollout.split().get("canary"));
    }

    @Test
    void aStepIsCappedByTheCanarysShareOfBackendsInRotation() {
        RolloutView rollout = RolloutJudge.start("web", new RolloutPlan("stable", "canary", List.of(50, 100),
                Duration.ofSeconds(1), 0.02, 1.5, 10, RolloutView.THRESHOLD, 0.95, 0.10), 4, 1, NOW);
        assertEquals(50, rollout.step(), "the plan's step");
        assertEquals(20, rollout.split().get("canary"), "one canary backend of five in rotation");
        assertTrue(rollout.verdicts().get(0).reason().contains("capped"), rollout.verdicts().get(0).reason());

        rollout = RolloutJudge.judge(rollout, figures(100, 0, 10), figures(100, 0, 10), 4, 1, NOW);
        assertEquals(RolloutView.PROMOTED, rollout.state(), "a capped step that passes still moves on");
    }

    @Test
    void aCanaryWithNoBackendInRotationRollsBack() {
        RolloutView rollout = RolloutJudge.judge(started(), figures(200, 0, 10), figures(200, 0, 10), 4, 0, NOW);

        assertEquals(RolloutView.ROLLED_BACK, rollout.state());
        assertTrue(rollout.reason().contains("no backend in rotation"), rollout.reason());
    }

    @Test
    void abortAndResumeLeaveTheirMarkInTheTrail() {
        RolloutView aborted = RolloutJudge.aborted(started(), "aborted by an operator", NOW);
        assertEquals(RolloutView.ABORTED, aborted.state());
        assertEquals(Map.of("stable", 100, "canary", 0), aborted.split());

        RolloutView resumed = RolloutJudge.resumed(started(), NOW);
        assertEquals(RolloutView.RUNNING, resumed.state());
        assertEquals(5, resumed.split().get("canary"));
        assertEquals("resume", lastOutcome(resumed));
    }
}
