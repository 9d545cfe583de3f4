package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.control.Rollout.Judge;
import dev.turnout.proxy.control.Rollout.Outcome;
import dev.turnout.proxy.control.Rollout.State;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RolloutTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Rollout rollout(State state, Judge judge, List<Integer> steps, Map<String, Integer> split) {
        return new Rollout("web", state, "stable", "canary", steps, "30s", 30_000, 0.02, 1.5, 100, judge, 0.99, 0.3, 5,
                split, "2026-12-07T10:00:00Z", null, List.of(new Rollout.Verdict("2026-12-07T10:00:00Z", Outcome.START, 5,
                        "canary gets 5% of route web", null, null, null)));
    }

    @Test
    void onlyARunningRolloutRuns() {
        assertTrue(rollout(State.RUNNING, Judge.THRESHOLD, List.of(5), Map.of()).running());
        for (State ended : List.of(State.PROMOTED, State.ROLLED_BACK, State.ABORTED)) {
            assertFalse(rollout(ended, Judge.THRESHOLD, List.of(5), Map.of()).running(), ended.label());
        }
    }

    @Test
    void withoutAJudgeItKeepsTheThresholdRuleWithTheDefaultLimits() {
        Rollout rollout = rollout(State.RUNNING, null, List.of(5), Map.of());

        assertEquals(Judge.THRESHOLD, rollout.judge());
        assertEquals(Rollout.DEFAULT_CONFIDENCE, rollout.confidence());
        assertEquals(Rollout.DEFAULT_MAX_LATENCY_INCREASE, rollout.maxLatencyIncrease());
        assertEquals(0.99, rollout(State.RUNNING, Judge.MANN_WHITNEY, List.of(5), Map.of()).confidence(),
                "a judge keeps its own");
    }

    @Test
    void itKeepsCopiesOfItsStepsSplitAndTrailInTheirOrder() {
        List<Integer> steps = new ArrayList<>(List.of(5, 50, 100));
        Map<String, Integer> split = new LinkedHashMap<>();
        split.put("stable", 95);
        split.put("canary", 5);

        Rollout rollout = rollout(State.RUNNING, Judge.THRESHOLD, steps, split);
        steps.clear();
        split.clear();

        assertEquals(List.of(5, 50, 100), rollout.steps());
        assertEquals(List.of("stable", "canary"), List.copyOf(rollout.split().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> rollout.split().put("x", 1));
        assertThrows(UnsupportedOperationException.class, () -> rollout.verdicts().clear());
        assertThrows(NullPointerException.class, () -> rollout(State.RUNNING, Judge.THRESHOLD, null, new HashMap<>()));
    }

    @Test
    void statesJudgesAndOutcomesAreSavedAndLoggedByTheirNames() throws Exception {
        Rollout rollout = rollout(State.ROLLED_BACK, Judge.MANN_WHITNEY, List.of(5), Map.of("stable", 100));

        String json = JSON.writeValueAsString(rollout);

        assertTrue(json.contains("\"state\":\"rolled-back\""), json);
        assertTrue(json.contains("\"judge\":\"mann-whitney\""), json);
        assertTrue(json.contains("\"outcome\":\"start\""), json);
        assertFalse(json.contains("\"reason\":null"), "nulls are left out: " + json);
        assertEquals(rollout, JSON.readValue(json, Rollout.class));
        assertEquals("rolled-back", State.ROLLED_BACK.toString());
        assertEquals("mann-whitney", Judge.MANN_WHITNEY.toString());
        assertEquals("rollback", Outcome.ROLLBACK.toString());
    }
}
