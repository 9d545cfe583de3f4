package dev.turnout.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A rollout as the state file and etcd keep it (both through a default ObjectMapper, as here). */
class RolloutViewJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theJudgesFieldsAndTestsSurviveARoundTrip() throws Exception {
        RolloutView.Tests tests = new RolloutView.Tests(11, 2.0 / 35, 11.0 / 12, 1.0, "fisher", 2.0 / 19, 0.3);
        RolloutView.Figures figures = new RolloutView.Figures("canary", 10, 3, 0.3, 0.006, 0.005, 10);
        RolloutView view = new RolloutView("web", RolloutView.RUNNING, "stable", "canary", List.of(5, 100), "30s", 30_000,
                0.02, 1.5, 100, RolloutView.MANN_WHITNEY, 0.99, 0.2, 5, Map.of("stable", 95, "canary", 5),
                "2026-12-06T12:00:00Z", null, List.of(new RolloutView.Verdict("2026-12-06T12:00:30Z", "pass", 5, "ok",
                        figures, figures, tests)));

        String saved = JSON.writeValueAsString(view);
        RolloutView read = JSON.readValue(saved, RolloutView.class);

        assertEquals(view, read);
        assertEquals(tests, read.verdicts().get(0).tests());
    }

    @Test
    void aRolloutSavedBeforeTheJudgeExistedKeepsTheThresholdRule() throws Exception {
        String old = "{\"route\":\"web\",\"state\":\"running\",\"from\":\"stable\",\"to\":\"canary\",\"steps\":[5,100],"
                + "\"interval\":\"30s\",\"interval-millis\":30000,\"max-error-rate\":0.02,\"max-p95-ratio\":1.5,"
                + "\"min-requests\":100,\"step\":5,\"split\":{\"stable\":95,\"canary\":5},\"started\":\"2026-12-06T12:00:00Z\","
                + "\"verdicts\":[{\"at\":\"2026-12-06T12:00:30Z\",\"outcome\":\"pass\",\"step\":5,\"reason\":\"ok\","
                + "\"stable\":{\"pool\":\"stable\",\"requests\":200,\"errors\":0,\"error-rate\":0.0,\"p95-seconds\":0.01},"
                + "\"canary\":{\"pool\":\"canary\",\"requests\":120,\"errors\":0,\"error-rate\":0.0,\"p95-seconds\":0.01}}]}";

        RolloutView read = JSON.readValue(old, RolloutView.class);

        assertEquals(RolloutView.THRESHOLD, read.judge());
        assertEquals(0.95, read.confidence());
        assertEquals(0.10, read.maxLatencyIncrease());
        assertEquals(200, read.verdicts().get(0).stable().requests());
        assertNull(read.verdicts().get(0).tests());
    }
}
