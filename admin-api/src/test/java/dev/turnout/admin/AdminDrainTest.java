package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertBackend;
import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code POST .../drain} with and without {@code ?wait=}, and that a waiting drain holds no handler thread. */
class AdminDrainTest {

    private static final String APP1 = "/api/v1/pools/stable/backends/app1";

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
    void drainWithoutWaitOfAnIdleBackendIs200Drained() {
        JsonNode backend = assertJson(200, admin.post(APP1 + "/drain", null));

        assertBackend(backend, "app1", "127.0.0.1:9001", 1, "drained", "up", 0);
        assertEquals(List.of("drain stable/app1"), admin.control.calls());
    }

    @Test
    void drainWithoutWaitOfABusyBackendAnswersAtOnce202WithItsInflight() {
        admin.control.setInflight("stable", "app1", 3);

        JsonNode backend = assertJson(202, admin.post(APP1 + "/drain", null));

        assertBackend(backend, "app1", "127.0.0.1:9001", 1, "draining", "up", 3);
        assertEquals(List.of("drain stable/app1"), admin.control.calls());
    }

    @Test
    void drainWithWaitOfAnIdleBackendIs200() {
        JsonNode backend = assertJson(200, admin.post(APP1 + "/drain?wait=30s", null));

        assertBackend(backend, "app1", "127.0.0.1:9001", 1, "drained", "up", 0);
    }

    @Test
    void drainWithWaitAnswers200WhenTheBackendGoesIdleBeforeTheWaitRunsOut() throws Exception {
        admin.control.setInflight("stable", "app1", 3);

        CompletableFuture<HttpResponse<String>> pending = admin.sendAsync("POST", APP1 + "/drain?wait=5s", null);
        assertTrue(admin.control.awaitWhenIdleCalls(1), "the drain asks the control plane when app1 is idle");
        assertFalse(pending.isDone(), "no answer while requests are still in flight");
        assertEquals(List.of("drain stable/app1"), admin.control.calls());

        // The last request finishes on some other thread (as on a data-plane event loop).
        Thread finisher = new Thread(() -> admin.control.finishInflight("stable", "app1"), "fake-event-loop");
        finisher.start();
        finisher.join();

        JsonNode backend = assertJson(200, pending.get());
        assertBackend(backend, "app1", "127.0.0.1:9001", 1, "drained", "up", 0);
        assertEquals(List.of("stable/app1"), admin.control.whenIdleCalls());
    }

    @Test
    void drainWithWaitAnswers202WithTheBackendWhenTheWaitRunsOut() {
        admin.control.setInflight("stable", "app1", 3);

        JsonNode backend = assertJson(202, admin.post(APP1 + "/drain?wait=200ms", null));

        assertBackend(backend, "app1", "127.0.0.1:9001", 1, "draining", "up", 3);
        assertEquals(List.of("drain stable/app1"), admin.control.calls());
        assertEquals(List.of("stable/app1"), admin.control.whenIdleCalls());
    }

    @ParameterizedTest(name = "[{index}] wait={0}")
    @ValueSource(strings = {"abc", "5x", "-5s", "1.5s", "2h", "61m", "3601s", "s"})
    void drainWithAnUnreadableOrTooLongWaitIs400AndDrainsNothing(String wait) {
        List<Object> before = admin.control.snapshot();

        assertError(400, admin.post(APP1 + "/drain?wait=" + wait, null));

        assertEquals(List.of(), admin.control.calls());
        assertEquals(List.of(), admin.control.whenIdleCalls());
        assertEquals(before, admin.control.snapshot());
    }

    @Test
    void drainOfAnUnknownBackendIs404() {
        assertError(404, admin.post("/api/v1/pools/stable/backends/nope/drain?wait=1s", null));
        assertError(404, admin.post("/api/v1/pools/nope/backends/app1/drain", null));
    }

    @Test
    void waitingDrainsDoNotHoldTheHandlerThreads() throws Exception {
        int drains = 5; // the server has 2 handler threads
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= drains; i++) {
            String id = "busy" + i;
            ids.add(id);
            admin.control.putBackend(new BackendView("stable", id, "127.0.0.1:" + (9200 + i), 1, "active", "up", 2));
        }
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (String id : ids) {
            pending.add(admin.sendAsync("POST", "/api/v1/pools/stable/backends/" + id + "/drain?wait=30s", null));
        }
        assertTrue(admin.control.awaitWhenIdleCalls(drains), "every drain is waiting on whenIdle");

        // With the drains parked on handler threads this would never be answered (the client gives up first).
        JsonNode pools = assertJson(200, admin.get("/api/v1/pools")).path("pools");
        assertEquals(2, pools.size(), pools::toString);
        assertJson(200, admin.get("/healthz"));
        for (CompletableFuture<HttpResponse<String>> drain : pending) {
            assertFalse(drain.isDone(), "a drain answered before its backend went idle");
        }

        for (String id : ids) {
            admin.control.finishInflight("stable", id);
        }
        for (int i = 0; i < drains; i++) {
            JsonNode backend = assertJson(200, answer(pending.get(i)));
            assertEquals(ids.get(i), backend.path("id").asText());
            assertEquals("drained", backend.path("state").asText());
        }
    }

    private static HttpResponse<String> answer(CompletableFuture<HttpResponse<String>> pending)
            throws InterruptedException, ExecutionException, TimeoutException {
        return pending.get(30, TimeUnit.SECONDS); // a hang guard, not a timing assertion
    }
}
