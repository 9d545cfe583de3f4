package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.control.Rollout.Judge;
import dev.turnout.proxy.control.Rollout.Outcome;
import dev.turnout.proxy.control.Rollout.State;
import dev.turnout.proxy.control.Rollout.Verdict;
import dev.turnout.proxy.pool.AdminState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The saved state's JSON, which the state file and etcd keep. {@code state-v1.json} was written by Turnout before
 * rollouts had a type of their own (when the admin API's view was also the saved form): an existing state file and
 * a fleet peer of that version must read and write the same documents as this one does.
 */
class StateJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The configuration {@code state-v1.json} was saved under. */
    private static final RuntimeState CONFIGURED = RuntimeState.fromConfig(ConfigLoader.parse("""
            turnout {
              pools {
                stable { backends = [
                  { id = app1, address = "127.0.0.1:9001" }
                  { id = app2, address = "127.0.0.1:9002", weight = 3 } ] }
                canary { backends = [ { id = app3, address = "127.0.0.1:9003" } ] }
              }
              routes = [
                { name = web, path-prefix = "/", split { stable = 100 } }
                { name = api, host = "api.example.com", path-prefix = "/v1", split { stable = 100 } }
                { name = shop, path-prefix = "/shop", split { stable = 100 } }
                { name = old, path-prefix = "/old", split { stable = 100 } }
              ]
            }
            """));

    static byte[] savedBeforeRolloutsHadATypeOfTheirOwn() throws IOException {
        try (InputStream in = StateJsonTest.class.getResourceAsStream("state-v1.json")) {
            return in.readAllBytes();
        }
    }

    private static RuntimeState read(byte[] saved) {
        return StateJson.mergeOver(CONFIGURED, saved, "test");
    }

    @Test
    void aDocumentWrittenBeforeIsReadAndWrittenAgainByteForByte() throws IOException {
        byte[] saved = savedBeforeRolloutsHadATypeOfTheirOwn();

        byte[] written = StateJson.encode(read(saved));

        assertEquals(new String(saved, StandardCharsets.UTF_8), new String(written, StandardCharsets.UTF_8));
        assertArrayEquals(saved, written);
    }

    @Test
    void everyStateJudgeAndOutcomeIsReadByItsSavedName() throws IOException {
        RuntimeState state = read(savedBeforeRolloutsHadATypeOfTheirOwn());

        Map<String, Rollout> rollouts = state.rollouts();
        assertEquals(List.of("shop", "old", "web", "api"), List.copyOf(rollouts.keySet()), "in saved order");
        assertEquals(State.PROMOTED, rollouts.get("shop").state());
        assertEquals(State.ABORTED, rollouts.get("old").state());
        assertEquals(State.RUNNING, rollouts.get("web").state());
        assertEquals(State.ROLLED_BACK, rollouts.get("api").state());
        assertEquals(Judge.MANN_WHITNEY, rollouts.get("web").judge());
        assertEquals(Judge.THRESHOLD, rollouts.get("api").judge());
        assertEquals(List.of(Outcome.START, Outcome.RESUME, Outcome.ABORT), outcomes(rollouts.get("old")));
        assertEquals(List.of(Outcome.START, Outcome.PASS, Outcome.STEP, Outcome.WAIT), outcomes(rollouts.get("web")));
        assertEquals(List.of(Outcome.START, Outcome.FAIL, Outcome.ROLLBACK), outcomes(rollouts.get("api")));
        assertEquals(List.of(Outcome.START, Outcome.PASS, Outcome.PROMOTE), outcomes(rollouts.get("shop")));

        Verdict pass = rollouts.get("web").verdicts().get(1);
        assertEquals(400, pass.stable().requests());
        assertEquals(1, pass.canary().errors());
        assertEquals("fisher", pass.tests().errorTest());
        assertEquals(13137.0, pass.tests().u());
        assertNull(rollouts.get("api").verdicts().get(1).tests(), "the threshold judge runs no tests");
        assertEquals(Map.of("stable", 75, "canary", 25), state.route("web").split());
        assertEquals(AdminState.DRAINING, state.pools().get("stable").backend("app2").state());
    }

    @Test
    void aRolloutSavedBeforeThereWasAChoiceOfJudgeKeepsTheThresholdRule() throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(savedBeforeRolloutsHadATypeOfTheirOwn());
        ObjectNode api = (ObjectNode) root.path("rollouts").path("api");
        api.remove(List.of("judge", "confidence", "max-latency-increase"));

        Rollout rollout = read(JSON.writeValueAsBytes(root)).rollouts().get("api");

        assertEquals(Judge.THRESHOLD, rollout.judge());
        assertEquals(Rollout.DEFAULT_CONFIDENCE, rollout.confidence());
        assertEquals(Rollout.DEFAULT_MAX_LATENCY_INCREASE, rollout.maxLatencyIncrease());
        assertEquals(State.ROLLED_BACK, rollout.state());
    }

    @Test
    void aRolloutThatCannotBeReadIsDroppedAndTheRestStays() throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(savedBeforeRolloutsHadATypeOfTheirOwn());
        ((ObjectNode) root.path("rollouts").path("shop")).put("state", "paused");
        ((ObjectNode) root.path("rollouts").path("old").path("verdicts").path(0)).put("outcome", "hold");

        RuntimeState state = read(JSON.writeValueAsBytes(root));

        assertEquals(List.of("web", "api"), List.copyOf(state.rollouts().keySet()));
        assertEquals(Map.of("stable", 75, "canary", 25), state.route("web").split(), "the rest of the state is read");
    }

    private static List<Outcome> outcomes(Rollout rollout) {
        return rollout.verdicts().stream().map(Verdict::outcome).toList();
    }
}
