package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.admin.ControlException;
import dev.turnout.admin.RolloutPlan;
import dev.turnout.admin.RolloutView;
import dev.turnout.proxy.control.Rollout.Judge;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rollouts at the admin API's edge: shown as before, and plans taken as requested. */
class RolloutViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Before rollouts had a type of their own, the API showed the saved {@code RolloutView} itself; the view of the
     * same rollout read as a {@link Rollout} must be that view, field for field, for every state, judge and outcome.
     */
    @Test
    void eachSavedRolloutIsShownAsTheApiShowedItBefore() throws Exception {
        JsonNode saved = JSON.readTree(StateJsonTest.savedBeforeRolloutsHadATypeOfTheirOwn()).path("rollouts");
        assertEquals(4, saved.size());
        for (JsonNode rollout : saved) {
            RolloutView before = JSON.treeToValue(rollout, RolloutView.class);

            RolloutView shown = RolloutViews.of(JSON.treeToValue(rollout, Rollout.class));

            assertEquals(before, shown, rollout.path("route").asText());
            assertEquals(JSON.writeValueAsString(before), JSON.writeValueAsString(shown));
        }
    }

    @Test
    void noRolloutIsShownAsNone() {
        assertNull(RolloutViews.of(null));
    }

    @Test
    void aPlanIsTakenAsRequestedWithItsJudgeByName() {
        RolloutPlan requested = new RolloutPlan("stable", "canary", List.of(5, 50, 100), Duration.ofSeconds(30), 0.02, 1.5,
                100, RolloutView.MANN_WHITNEY, 0.99, 0.2);

        Rollout.Plan plan = RolloutViews.plan(requested);

        assertEquals(new Rollout.Plan("stable", "canary", List.of(5, 50, 100), Duration.ofSeconds(30), 0.02, 1.5, 100,
                Judge.MANN_WHITNEY, 0.99, 0.2), plan);
        assertEquals(Judge.THRESHOLD, RolloutViews.plan(withJudge(requested, RolloutView.THRESHOLD)).judge());
    }

    @Test
    void aPlanWithoutAJudgeStartsARolloutByTheThresholdRule() {
        RolloutPlan requested = new RolloutPlan("stable", "canary", List.of(10, 100), Duration.ofMillis(1500), 0.02, 1.5,
                100, null, 0.99, 0.2);

        Rollout started = RolloutJudge.start("web", RolloutViews.plan(requested), 1, 1, "2026-12-07T10:00:00Z");

        assertEquals(Judge.THRESHOLD, started.judge());
        assertEquals(Rollout.DEFAULT_CONFIDENCE, started.confidence());
        RolloutView shown = RolloutViews.of(started);
        assertEquals(RolloutView.THRESHOLD, shown.judge());
        assertEquals("1500ms", shown.interval());
        assertEquals(Map.of("stable", 90, "canary", 10), shown.split());
    }

    @Test
    void aJudgeByAnotherNameIsABadRequest() {
        RolloutPlan requested = new RolloutPlan("stable", "canary", List.of(100), Duration.ofSeconds(1), 0, 1, 1, "t-test",
                0.9, 0.1);

        ControlException refused = assertThrows(ControlException.class, () -> RolloutViews.plan(requested));

        assertEquals(ControlException.Kind.BAD_REQUEST, refused.kind());
        assertTrue(refused.getMessage().contains("\"t-test\""), refused.getMessage());
    }

    private static RolloutPlan withJudge(RolloutPlan plan, String judge) {
        return new RolloutPlan(plan.from(), plan.to(), plan.steps(), plan.interval(), plan.maxErrorRate(), plan.maxP95Ratio(),
                plan.minRequests(), judge, plan.confidence(), plan.maxLatencyIncrease());
    }
}
