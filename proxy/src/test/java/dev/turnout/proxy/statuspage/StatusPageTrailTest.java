package dev.turnout.proxy.statuspage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** The rollout trail on the status page shows the statistical judge's figures (headless Chromium, as StatusPageBrowserTest). */
class StatusPageTrailTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TESTS = "tr.trail[data-trail=\"web\"] li[data-outcome=\"pass\"] [data-field=\"verdict-tests\"]";

    @Test
    void aJudgedVerdictShowsUAndItsPValuesInTheTrail() throws Exception {
        try (FakeBackend app1 = FakeBackend.start(Reply.ok("app1"));
                FakeBackend c1 = FakeBackend.start(Reply.ok("c1"));
                Turnout proxy = TestProxy.start("pools {\n"
                        + "  stable { backends = [ " + TestProxy.backend("app1", app1, 1) + " ] }\n"
                        + "  canary { backends = [ " + TestProxy.backend("c1", c1, 1) + " ] }\n"
                        + "}\n"
                        + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { stable = 100, canary = 0 } } ]")) {
            URI admin = URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort());
            URI data = URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/");
            // Loopback latencies are noise: a generous latency limit lets both steps pass, which is all this needs.
            HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(admin.resolve("/api/v1/routes/web/rollout"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"from\":\"stable\",\"to\":\"canary\",\"steps\":[50,100],"
                            + "\"interval\":\"200ms\",\"min-requests\":5,\"max-latency-increase\":1000}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, started.statusCode(), started.body());
            Await.until("the rollout to end under traffic", () -> {
                send(data);
                return !rollout(admin).path("state").asText().equals("running");
            });
            // The page lists the trail newest first: its first pass is the API's last.
            JsonNode pass = StreamSupport.stream(rollout(admin).path("verdicts").spliterator(), false)
                    .filter(v -> v.path("outcome").asText().equals("pass")).reduce((first, second) -> second).orElseThrow();
            JsonNode tests = pass.path("tests");

            try (StatusPageBrowser page = StatusPageBrowser.open(admin.resolve("/"), 1400, 1000)) {
                page.awaitShown(TESTS);
                String u = String.format(Locale.ROOT, "U %.1f,", tests.path("u").asDouble());
                // The page redraws itself every second: each check reads one drawing, the one that showed the pass.
                String[] drawn = new String[1];
                Await.until("the trail to show the last pass's tests (" + u + ")",
                        () -> (drawn[0] = page.text(TESTS)).contains(u));
                String shown = drawn[0];
                assertTrue(shown.contains("latency p ") && shown.contains("5xx p "), shown);
                assertTrue(shown.contains(tests.path("error-test").asText()), shown);
                Await.until("the pass to show its medians",
                        () -> page.text("tr.trail[data-trail=\"web\"] li[data-outcome=\"pass\"]").contains("median "));
            }
        }
    }

    private static void send(URI data) {
        try {
            HTTP.send(HttpRequest.newBuilder(data).build(), HttpResponse.BodyHandlers.discarding());
        } catch (Exception e) {
            throw new AssertionError("a request to the proxy failed", e);
        }
    }

    private static JsonNode rollout(URI admin) {
        try {
            return JSON.readTree(HTTP.send(HttpRequest.newBuilder(admin.resolve("/api/v1/routes/web/rollout")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        } catch (Exception e) {
            throw new AssertionError("reading the rollout failed", e);
        }
    }
}
