package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rollout calls: the body's validation and defaults, the answers' shapes, and refusals that change nothing. */
class AdminRolloutApiTest {

    private static final String ROLLOUT = "/api/v1/routes/web/rollout";

    private AdminHarness admin;

    @BeforeEach
    void start() throws IOException {
        admin = AdminHarness.start();
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    @Test
    void aRolloutStartsWith202AndItsStateIsReadable() {
        JsonNode started = assertJson(202, admin.post(ROLLOUT, "{\"from\":\"stable\",\"to\":\"canary\",\"steps\":[10,50,100],"
                + "\"interval\":\"2s\",\"max-error-rate\":0.05,\"max-p95-ratio\":2,\"min-requests\":20}"));

        assertEquals("running", started.path("state").asText());
        assertEquals(10, started.path("step").asInt());
        assertEquals(90, started.path("split").path("stable").asInt());
        assertEquals(2000, started.path("interval-millis").asLong());
        assertEquals(0.05, started.path("max-error-rate").asDouble());
        assertEquals(List.of("startRollout web RolloutPlan[from=stable, to=canary, steps=[10, 50, 100], interval=PT2S, "
                + "maxErrorRate=0.05, maxP95Ratio=2.0, minRequests=20, judge=mann-whitney, confidence=0.95, "
                + "maxLatencyIncrease=0.1]"), admin.control.calls());
        assertEquals("running", assertJson(200, admin.get(ROLLOUT)).path("state").asText());
    }

    @Test
    void theJudgeAndItsFieldsAreTakenAndShown() {
        JsonNode started = assertJson(202, admin.post(ROLLOUT, "{\"from\":\"stable\",\"to\":\"canary\","
                + "\"judge\":\"mann-whitney\",\"confidence\":0.99,\"max-latency-increase\":0.25}"));

        assertEquals("mann-whitney", started.path("judge").asText());
        assertEquals(0.99, started.path("confidence").asDouble());
        assertEquals(0.25, started.path("max-latency-increase").asDouble());
        assertEquals(1.5, started.path("max-p95-ratio").asDouble(), "the existing fields stay");
        admin.delete(ROLLOUT);
        assertJson(202, admin.post(ROLLOUT, "{\"from\":\"stable\",\"to\":\"canary\",\"judge\":\"threshold\"}"));
        assertEquals("threshold", assertJson(200, admin.get(ROLLOUT)).path("judge").asText());
    }

    @Test
    void omittedFieldsTakeSpecsExampleValues() {
        assertJson(202, admin.post(ROLLOUT, "{\"from\":\"stable\",\"to\":\"canary\"}"));

        assertEquals(List.of("startRollout web RolloutPlan[from=stable, to=canary, steps=[5, 25, 50, 100], interval=PT30S, "
                + "maxErrorRate=0.02, maxP95Ratio=1.5, minRequests=100, judge=mann-whitney, confidence=0.95, "
                + "maxLatencyIncrease=0.1]"), admin.control.calls());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "{\"to\":\"canary\"}",
        "{\"from\":\"stable\",\"to\":\"stable\"}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"steps\":[]}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"steps\":[50,25]}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"steps\":[0,100]}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"steps\":[5,101]}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"interval\":\"soon\"}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"interval\":\"10ms\"}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"max-error-rate\":1.5}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"max-p95-ratio\":0.5}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"min-requests\":0}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"colour\":\"red\"}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"judge\":\"kayenta\"}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"judge\":7}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"confidence\":1}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"confidence\":0}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"confidence\":1.5}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"confidence\":\"high\"}",
        "{\"from\":\"stable\",\"to\":\"canary\",\"max-latency-increase\":-0.1}",
        "[\"stable\",\"canary\"]",
    })
    void aBadBodyIs400AndStartsNothing(String body) {
        assertError(400, admin.post(ROLLOUT, body));

        assertTrue(admin.control.calls().isEmpty(), "the control plane was called: " + admin.control.calls());
        assertError(404, admin.get(ROLLOUT));
    }

    @Test
    void unknownNamesAndASecondRolloutAreRefused() {
        assertError(404, admin.post("/api/v1/routes/nope/rollout", "{\"from\":\"stable\",\"to\":\"canary\"}"));
        assertError(404, admin.post(ROLLOUT, "{\"from\":\"stable\",\"to\":\"green\"}"));
        assertJson(202, admin.post(ROLLOUT, "{\"from\":\"stable\",\"to\":\"canary\"}"));
        assertError(409, admin.post(ROLLOUT, "{\"from\":\"stable\",\"to\":\"canary\"}"));
    }

    @Test
    void abortAnswersTheStoppedRolloutAndCannotRunTwice() {
        assertError(404, admin.delete(ROLLOUT));
        assertJson(202, admin.post(ROLLOUT, "{\"from\":\"stable\",\"to\":\"canary\"}"));

        JsonNode aborted = assertJson(200, admin.delete(ROLLOUT));
        assertEquals("aborted", aborted.path("state").asText());
        assertEquals(100, aborted.path("split").path("stable").asInt());
        assertError(409, admin.delete(ROLLOUT));
        assertError(405, admin.put(ROLLOUT, "{}"));
    }
}
