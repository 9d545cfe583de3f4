package dev.turnout.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

/** {@code GET /api/v1/history} from a real Turnout under load: a sample a second per backend and pool. */
class HistoryUnderLoadTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SAMPLES = 10;

    @Test
    void afterFifteenSecondsOfLoadEveryBackendHasItsSamples(TestReporter report) throws Exception {
        try (FakeBackend app1 = FakeBackend.start(Reply.ok("app1"));
                FakeBackend app2 = FakeBackend.start(Reply.status(503, "app2 is failing"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(app1, app2))) {
            long started = System.nanoTime();
            AtomicReference<JsonNode> history = new AtomicReference<>();
            try (LoadClient load = new LoadClient(URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/"), 2)) {
                Await.until("15 s of load", Duration.ofSeconds(30), () -> {
                    history.set(history(proxy));
                    return System.nanoTime() - started >= Duration.ofSeconds(15).toNanos();
                });
            }
            JsonNode body = history.get();
            assertEquals("1s", body.path("interval").asText());
            for (String key : List.of("app/b0", "app/b1")) {
                JsonNode series = body.path("backends").path(key);
                int samples = series.path("t").size();
                report.publishEntry(key, samples + " samples after 15 s");
                assertTrue(samples >= SAMPLES, key + " has " + samples + " samples: " + series);
                for (String array : List.of("rps", "errors", "p95_ms")) {
                    assertEquals(samples, series.path(array).size(), key + " " + array);
                }
                for (int i = 1; i < samples; i++) {
                    assertTrue(series.path("t").get(i).asLong() > series.path("t").get(i - 1).asLong(), "t grows: " + series);
                }
                double requests = 0;
                for (JsonNode rps : series.path("rps")) {
                    requests += rps.asDouble();
                }
                assertTrue(requests > 0, key + " took requests: " + series);
            }
            long app2Errors = 0;
            for (JsonNode errors : body.path("backends").path("app/b1").path("errors")) {
                app2Errors += errors.asLong();
            }
            assertTrue(app2Errors > 0, "app2's 503s are its errors: " + body.path("backends").path("app/b1"));
            long app1Errors = 0;
            for (JsonNode errors : body.path("backends").path("app/b0").path("errors")) {
                app1Errors += errors.asLong();
            }
            assertEquals(0, app1Errors, "app1 answered every request");
            assertTrue(body.path("pools").path("app").path("t").size() >= SAMPLES, "the pool's samples: " + body.path("pools"));
        }
    }

    private static JsonNode history(Turnout proxy) {
        HttpResponse<String> response = AdminCalls.send(proxy, "GET", "/api/v1/history", null);
        assertEquals(200, response.statusCode(), response.body());
        try {
            return JSON.readTree(response.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }
}
