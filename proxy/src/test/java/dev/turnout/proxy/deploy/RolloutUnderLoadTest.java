package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progressive canary rollouts end to end, over real loopback sockets: a Turnout in front of a
 * stable and a canary pool (two fake backends each), a load client counting every answer, and the
 * rollout driven and read through the admin API. A healthy canary is promoted step by step without
 * a failed request; one answering 5xx or slowly is rolled back at its first judged interval; too
 * little traffic waits; an operator can abort; a rollout survives a restart; and without metrics
 * there is no rollout.
 */
class RolloutUnderLoadTest {

    private static final String ROLLOUT = "/api/v1/routes/web/rollout";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOAD_LOG = LoggerFactory.getLogger("turnout.test.load");
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final int MIN_REQUESTS = 30;

    @TempDir
    Path dir;

    private final List<FakeBackend> backends = new ArrayList<>();
    private FakeBackend stable1;
    private FakeBackend stable2;
    private FakeBackend canary1;
    private FakeBackend canary2;
    private Turnout turnout;

    @AfterEach
    void stop() throws InterruptedException {
        if (turnout != null) {
            turnout.close();
        }
        for (FakeBackend backend : backends) {
            backend.close();
        }
    }

    // ---- scenarios ----------------------------------------------------------------------------

    @Test
    void aHealthyCanaryIsPromotedStepByStepWithoutAFailedRequest(TestReporter report) throws Exception {
        startBackends(Reply.ok("canary1"), Reply.ok("canary2"));
        start("");

        try (LoadClient load = new LoadClient(proxyUri(), 4)) {
            await("load on the stable pool", () -> load.sent() > 300);
            assertEquals(0, canaryRequests(), "no canary traffic before the rollout");

            // The threshold judge with a generous p95 ratio: this canary is exactly as fast as the stable pool,
            // but over some 40 requests a p95 is about the second slowest of them, so loopback noise alone can
            // reach 1.5x. The latency rules have their own scenarios below; the statistical judge's A/A runs
            // are in StatisticalJudgeTest, with latencies that are not loopback noise.
            HttpResponse<String> started = post(plan("[10,50,100]", "400ms", ", \"judge\": \"threshold\", "
                    + "\"max-p95-ratio\": 100"));
            assertEquals(202, started.statusCode(), started.body());
            JsonNode view = json(started);
            assertEquals("running", view.path("state").asText());
            assertEquals(split(90, 10), split(view));

            JsonNode done = awaitEnd();
            long stableAtPromotion = stableRequests();
            logTrail("healthy canary", done);
            assertEquals("promoted", done.path("state").asText(), done.toPrettyString());
            // The promoted canary takes all the load from now on; the stable pool gets nothing more.
            long canaryAtPromotion = load.servedBy("canary1") + load.servedBy("canary2");
            await("load on the promoted canary", () -> load.servedBy("canary1") + load.servedBy("canary2")
                    > canaryAtPromotion + 300);
            load.close();

            report.publishEntry(Map.of("sent", String.valueOf(load.sent()), "failed", String.valueOf(load.failures().size())));
            assertEquals(100, done.path("step").asInt());
            assertEquals(split(0, 100), split(done));
            assertEquals(split(0, 100), routeSplit());
            assertEquals(List.of("start", "pass", "step", "pass", "promote"), outcomes(done, false), done.toPrettyString());
            assertEquals(List.of(10, 10, 50, 50, 100), steps(done));
            List<JsonNode> passes = verdicts(done, "pass");
            for (JsonNode pass : passes) {
                assertTrue(pass.path("stable").path("requests").asLong() >= MIN_REQUESTS, pass.toString());
                assertTrue(pass.path("canary").path("requests").asLong() >= MIN_REQUESTS, pass.toString());
                assertEquals(0, pass.path("canary").path("errors").asLong(), pass.toString());
                assertEquals(0.0, pass.path("canary").path("error-rate").asDouble(), pass.toString());
                assertTrue(pass.path("canary").path("p95-seconds").asDouble() > 0, pass.toString());
            }
            // The figures really reflect the split in force while they were gathered.
            assertShare(passes.get(0), 0.02, 0.20);
            assertShare(passes.get(1), 0.35, 0.65);
            assertTrue(stableRequests() - stableAtPromotion <= 4, "at most the requests in flight at the promotion "
                    + "reached the stable pool after it: " + (stableRequests() - stableAtPromotion));
            assertEquals(List.of(), load.failures(), "failed requests during the rollout (of " + load.sent() + ")");

            Map<String, Double> counters = verdictCounters();
            assertEquals((double) passes.size(), counters.get("pass"), counters.toString());
            assertEquals(0.0, counters.get("fail"), counters.toString());
            assertTrue(counters.get("wait") >= verdicts(done, "wait").size(), counters.toString());
            assertEquals(0.0, gauge("turnout_rollout_running{route=\"web\"}"));
        }
    }

    @Test
    void aCanaryAnswering5xxIsRolledBackAtItsFirstJudgedInterval() throws Exception {
        startBackends(thirtyPercent500("canary1"), thirtyPercent500("canary2"));
        start("");
        Duration interval = Duration.ofMillis(400);

        try (LoadClient load = new LoadClient(proxyUri(), 4)) {
            await("load on the stable pool", () -> load.sent() > 300);

            HttpResponse<String> started = post(plan("[10,50,100]", interval.toMillis() + "ms", ""));
            assertEquals(202, started.statusCode(), started.body());
            JsonNode done = awaitEnd();
            long canaryAtRollback = canaryRequests();
            awaitQuiet("the canary to get no more requests after the roll-back", this::canaryRequests, this::stableRequests);
            load.close();

            logTrail("canary answering 30% 500", done);
            assertEquals("rolled-back", done.path("state").asText(), done.toPrettyString());
            assertEquals(split(100, 0), split(done));
            assertEquals(split(100, 0), routeSplit());
            assertTrue(done.path("reason").asText().contains("5xx"), done.path("reason").asText());
            assertEquals(List.of("start", "fail", "rollback"), outcomes(done, false), done.toPrettyString());
            JsonNode fail = verdicts(done, "fail").get(0);
            assertTrue(fail.path("reason").asText().contains("5xx"), fail.toString());
            assertEquals(10, fail.path("step").asInt(), "judged at the first step: " + fail);
            JsonNode canary = fail.path("canary");
            double errorRate = canary.path("error-rate").asDouble();
            assertTrue(errorRate >= 0.15 && errorRate <= 0.45, "canary error rate " + errorRate + " in " + fail);
            assertEquals((double) canary.path("errors").asLong() / canary.path("requests").asLong(), errorRate, 1e-9);
            assertTrue(canary.path("requests").asLong() >= MIN_REQUESTS, fail.toString());
            assertTrue(fail.path("stable").path("requests").asLong() >= MIN_REQUESTS, fail.toString());
            assertEquals(0.0, fail.path("stable").path("error-rate").asDouble(), fail.toString());
            assertTrue(fail.path("tests").path("error-p-value").asDouble() < 0.05, "the default judge's p-value: " + fail);
            assertTrue(fail.path("tests").path("error-rate-increase").asDouble() > 0.02, fail.toString());
            JsonNode rollback = last(done);
            assertEquals(0, rollback.path("step").asInt());
            assertEquals(fail.path("at").asText(), rollback.path("at").asText(), "rolled back at the failed verdict");

            // The first interval judged is the one that fails: no more than the intervals that waited
            // for requests, plus the judged one, pass between the start and the roll-back (with slack for
            // a loaded machine: the first judgement in a fresh JVM has been seen to run an interval late).
            Map<String, Double> counters = verdictCounters();
            assertEquals(1.0, counters.get("fail"), counters.toString());
            assertEquals(0.0, counters.get("pass"), counters.toString());
            long judgedAfter = Duration.between(Instant.parse(first(done).path("at").asText()),
                    Instant.parse(fail.path("at").asText())).toMillis();
            long allowed = (long) ((counters.get("wait") + 1) * interval.toMillis()) + 3000;
            assertTrue(judgedAfter <= allowed, "failed " + judgedAfter + " ms after the start; at most " + allowed
                    + " ms expected with " + counters.get("wait") + " waits");

            assertTrue(canaryRequests() - canaryAtRollback <= 4, "at most the requests in flight at the roll-back "
                    + "reached the canary after it: " + (canaryRequests() - canaryAtRollback));
            for (String failure : load.failures()) {
                assertTrue(failure.startsWith("500 canary"), "only the canary's own 500s failed: " + failure);
            }
            assertTrue(load.servedBy("stable1") > 0 && load.servedBy("stable2") > 0);
        }
    }

    @Test
    void aSlowCanaryIsRolledBackOnItsP95() throws Exception {
        Reply slow1 = Reply.ok("canary1").delayed(Duration.ofMillis(50));
        Reply slow2 = Reply.ok("canary2").delayed(Duration.ofMillis(50));
        startBackends(r -> slow1, r -> slow2);
        start("");

        try (LoadClient load = new LoadClient(proxyUri(), 8)) {
            await("load on the stable pool", () -> load.sent() > 300);

            HttpResponse<String> started = post(plan("[10,50,100]", "500ms", ", \"judge\": \"threshold\", "
                    + "\"max-p95-ratio\": 1.5"));
            assertEquals(202, started.statusCode(), started.body());
            JsonNode done = awaitEnd();
            load.close();

            logTrail("slow canary", done);
            assertEquals("rolled-back", done.path("state").asText(), done.toPrettyString());
            assertEquals(split(100, 0), split(done));
            assertEquals(List.of("start", "fail", "rollback"), outcomes(done, false), done.toPrettyString());
            JsonNode fail = verdicts(done, "fail").get(0);
            assertTrue(done.path("reason").asText().contains("p95"), done.path("reason").asText());
            assertTrue(fail.path("reason").asText().contains("p95"), fail.toString());
            double canaryP95 = fail.path("canary").path("p95-seconds").asDouble();
            double stableP95 = fail.path("stable").path("p95-seconds").asDouble();
            assertTrue(canaryP95 >= 0.045, "the canary's p95 shows its 50 ms: " + fail);
            assertTrue(canaryP95 > 1.5 * stableP95, fail.toString());
            assertEquals(0, fail.path("canary").path("errors").asLong(), fail.toString());
            assertEquals(List.of(), load.failures(), "a slow canary answers, it does not fail requests");
        }
    }

    @Test
    void aCanary25MillisecondsSlowerIsRolledBackByTheStatisticalJudge() throws Exception {
        Reply slow1 = Reply.ok("canary1").delayed(Duration.ofMillis(25));
        Reply slow2 = Reply.ok("canary2").delayed(Duration.ofMillis(25));
        startBackends(r -> slow1, r -> slow2);
        start("");

        try (LoadClient load = new LoadClient(proxyUri(), 8)) {
            await("load on the stable pool", () -> load.sent() > 300);

            HttpResponse<String> started = post(plan("[10,50,100]", "500ms", ""));
            assertEquals(202, started.statusCode(), started.body());
            assertEquals("mann-whitney", json(started).path("judge").asText(), "the default judge");
            assertEquals(0.95, json(started).path("confidence").asDouble());
            JsonNode done = awaitEnd();
            load.close();

            logTrail("canary 25 ms slower, statistical judge", done);
            assertEquals("rolled-back", done.path("state").asText(), done.toPrettyString());
            assertEquals(List.of("start", "fail", "rollback"), outcomes(done, false), done.toPrettyString());
            JsonNode fail = verdicts(done, "fail").get(0);
            assertTrue(fail.path("reason").asText().contains("median"), fail.toString());
            JsonNode tests = fail.path("tests");
            assertTrue(tests.path("latency-p-value").asDouble() < 0.05, fail.toString());
            assertTrue(tests.path("median-increase").asDouble() >= 0.10, fail.toString());
            assertTrue(tests.path("u").asDouble() > 0, fail.toString());
            assertTrue(tests.has("error-p-value") && tests.has("probability-slower"), fail.toString());
            JsonNode canary = fail.path("canary");
            assertTrue(canary.path("median-seconds").asDouble() >= 0.025, "the canary's median shows its 25 ms: " + fail);
            assertTrue(canary.path("latency-samples").asLong() >= MIN_REQUESTS, fail.toString());
            assertTrue(fail.path("stable").path("median-seconds").asDouble() > 0, fail.toString());
            assertEquals(List.of(), load.failures(), "a slow canary answers, it does not fail requests");
        }
    }

    @Test
    void tooLittleTrafficWaitsWithOneTrailingEntryThenAnAbortRestoresTheSplit() throws Exception {
        startBackends(Reply.ok("canary1"), Reply.ok("canary2"));
        start("");

        HttpResponse<String> started = post(plan("[10,50,100]", "300ms", "").replace("\"min-requests\": 30",
                "\"min-requests\": 1000"));
        assertEquals(202, started.statusCode(), started.body());
        for (int i = 0; i < 40; i++) {
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(proxyUri()).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
        }
        // Several intervals judged, each waiting; the figures keep accumulating from the start.
        double waitsBefore = verdictCounters().get("wait");
        await("two more intervals to wait", () -> verdictCounters().get("wait") >= Math.max(3, waitsBefore + 2));
        await("the 40 requests in the waiting figures", () -> {
            JsonNode wait = last(rollout());
            return wait.path("outcome").asText().equals("wait") && wait.path("stable").path("requests").asLong()
                    + wait.path("canary").path("requests").asLong() == 40;
        });
        JsonNode waiting = rollout();
        assertEquals("running", waiting.path("state").asText(), waiting.toPrettyString());
        assertEquals(List.of("start", "wait"), outcomes(waiting, true), "one trailing wait, not one per interval");
        JsonNode wait = last(waiting);
        assertTrue(wait.path("reason").asText().contains("waiting for 1000 requests"), wait.toString());
        assertEquals(10, wait.path("step").asInt());
        assertEquals(split(90, 10), split(waiting));
        assertTrue(verdictCounters().get("wait") >= 3, verdictCounters().toString());
        assertEquals(1.0, gauge("turnout_rollout_running{route=\"web\"}"));
        assertEquals(10.0, gauge("turnout_rollout_step_percent{route=\"web\"}"));

        // While it runs, the rollout owns the split: a PUT is refused and changes nothing.
        HttpResponse<String> put = call("PUT", "/api/v1/routes/web/split", "{\"stable\":50,\"canary\":50}");
        assertEquals(409, put.statusCode(), put.body());
        assertTrue(put.body().contains("rollout"), put.body());
        assertEquals(split(90, 10), routeSplit());
        HttpResponse<String> second = post(plan("[50,100]", "300ms", ""));
        assertEquals(409, second.statusCode(), second.body());
        JsonNode still = rollout();
        assertEquals("running", still.path("state").asText());
        assertEquals(List.of(10, 50, 100), StreamSupport.stream(still.path("steps").spliterator(), false)
                .map(JsonNode::asInt).toList(), "the running rollout's plan is untouched");

        HttpResponse<String> abort = call("DELETE", ROLLOUT, null);
        assertEquals(200, abort.statusCode(), abort.body());
        JsonNode aborted = json(abort);
        assertEquals("aborted", aborted.path("state").asText());
        assertEquals(split(100, 0), split(aborted));
        assertEquals("abort", last(aborted).path("outcome").asText());
        assertEquals(split(100, 0), routeSplit());
        assertEquals("aborted", rollout().path("state").asText());
        assertEquals(0.0, gauge("turnout_rollout_running{route=\"web\"}"));
        assertEquals(409, call("DELETE", ROLLOUT, null).statusCode(), "nothing left to abort");
        HttpResponse<String> free = call("PUT", "/api/v1/routes/web/split", "{\"stable\":50,\"canary\":50}");
        assertEquals(200, free.statusCode(), "the split is the operator's again: " + free.body());
    }

    @Test
    void aRunningRolloutResumesAfterARestartAndAFinishedOneStaysReadable() throws Exception {
        startBackends(Reply.ok("canary1"), Reply.ok("canary2"));
        Path stateFile = dir.resolve("turnout-state.json");
        String keep = "state-file = \"" + stateFile + "\"";
        start(keep);

        HttpResponse<String> started = post(plan("[25,50,100]", "60s", ""));
        assertEquals(202, started.statusCode(), started.body());
        turnout.close();
        turnout = null;
        assertTrue(Files.readString(stateFile).contains("\"rollouts\""), "the rollout is saved");

        start(keep);
        JsonNode resumed = rollout();
        assertEquals("running", resumed.path("state").asText(), resumed.toPrettyString());
        assertEquals(25, resumed.path("step").asInt());
        assertEquals(split(75, 25), split(resumed));
        assertEquals(60_000, resumed.path("interval-millis").asLong());
        assertEquals(List.of("start", "resume"), outcomes(resumed, true));
        assertEquals(25, last(resumed).path("step").asInt());
        assertEquals(split(75, 25), routeSplit());
        assertEquals(1.0, gauge("turnout_rollout_running{route=\"web\"}"));
        for (int i = 0; i < 40; i++) {
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(proxyUri()).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
        }
        assertTrue(canaryRequests() > 0 && stableRequests() > canaryRequests(),
                "the resumed split is in force: canary " + canaryRequests() + ", stable " + stableRequests());

        HttpResponse<String> abort = call("DELETE", ROLLOUT, null);
        assertEquals(200, abort.statusCode(), abort.body());
        turnout.close();
        turnout = null;

        start(keep);
        JsonNode finished = rollout();
        assertEquals("aborted", finished.path("state").asText(), finished.toPrettyString());
        assertEquals(List.of("start", "resume", "abort"), outcomes(finished, true), "a finished rollout is not resumed");
        assertEquals(split(100, 0), split(finished));
        assertEquals(split(100, 0), routeSplit());
        HttpResponse<String> next = post(plan("[25,50,100]", "60s", ""));
        assertEquals(202, next.statusCode(), "a finished rollout does not block the next: " + next.body());
        assertEquals(List.of("start"), outcomes(json(next), true));
    }

    @Test
    void aRunningRolloutSavedBeforeARestartWithMetricsOffIsAbortedNotLeftHoldingTheSplit() throws Exception {
        startBackends(Reply.ok("canary1"), Reply.ok("canary2"));
        Path stateFile = dir.resolve("turnout-state.json");
        String keep = "state-file = \"" + stateFile + "\"";
        start(keep);
        assertEquals(202, post(plan("[25,50,100]", "60s", "")).statusCode());
        turnout.close();
        turnout = null;

        start(keep + "\nmetrics.enabled = false");
        JsonNode aborted = rollout();
        assertEquals("aborted", aborted.path("state").asText(), aborted.toPrettyString());
        assertTrue(aborted.path("reason").asText().contains("metrics"), aborted.path("reason").asText());
        assertEquals(split(100, 0), routeSplit(), "the route is back on its from pool");
        assertEquals(409, call("DELETE", ROLLOUT, null).statusCode(), "nothing left to abort");
        assertEquals(200, call("PUT", "/api/v1/routes/web/split", "{\"stable\":90,\"canary\":10}").statusCode(),
                "the split is the operator's again");
    }

    @Test
    void withoutMetricsARolloutIsRefusedNamingThem() throws Exception {
        startBackends(Reply.ok("canary1"), Reply.ok("canary2"));
        start("metrics.enabled = false");

        HttpResponse<String> refused = post(plan("[10,50,100]", "400ms", ""));
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("metrics"), refused.body());
        assertEquals(404, call("GET", ROLLOUT, null).statusCode(), "no rollout was started");
        assertEquals(split(100, 0), routeSplit());
    }

    // ---- fixtures -----------------------------------------------------------------------------

    private void startBackends(Reply canaryReply1, Reply canaryReply2) throws InterruptedException {
        startBackends(r -> canaryReply1, r -> canaryReply2);
    }

    private void startBackends(Function<RecordedRequest, Reply> canaryReply1, Function<RecordedRequest, Reply> canaryReply2)
            throws InterruptedException {
        stable1 = backend(FakeBackend.start(Reply.ok("stable1")));
        stable2 = backend(FakeBackend.start(Reply.ok("stable2")));
        canary1 = backend(FakeBackend.start(canaryReply1));
        canary2 = backend(FakeBackend.start(canaryReply2));
    }

    private FakeBackend backend(FakeBackend backend) {
        backends.add(backend);
        return backend;
    }

    /** Answers 500 to every third of ten requests in turn: 30 %, never twice in a row (no passive ejection). */
    private static Function<RecordedRequest, Reply> thirtyPercent500(String id) {
        AtomicLong n = new AtomicLong();
        Reply ok = Reply.ok(id);
        Reply error = Reply.status(500, id + " failed");
        return r -> {
            long i = n.getAndIncrement() % 10;
            return i == 0 || i == 3 || i == 6 ? error : ok;
        };
    }

    private void start(String extra) throws IOException, InterruptedException {
        turnout = TestProxy.start("pools {\n"
                + "  stable { backends = [ " + TestProxy.backend("stable1", stable1, 1) + ", "
                + TestProxy.backend("stable2", stable2, 1) + " ] }\n"
                + "  canary { backends = [ " + TestProxy.backend("canary1", canary1, 1) + ", "
                + TestProxy.backend("canary2", canary2, 1) + " ] }\n"
                + "}\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { stable = 100, canary = 0 } } ]\n"
                + extra);
    }

    private static String plan(String steps, String interval, String more) {
        return "{\"from\": \"stable\", \"to\": \"canary\", \"steps\": " + steps + ", \"interval\": \"" + interval
                + "\", \"min-requests\": " + MIN_REQUESTS + more + "}";
    }

    private long canaryRequests() {
        return canary1.requestCount() + canary2.requestCount();
    }

    private long stableRequests() {
        return stable1.requestCount() + stable2.requestCount();
    }

    private URI proxyUri() {
        return URI.create("http://127.0.0.1:" + turnout.address().getPort() + "/");
    }

    // ---- admin API ----------------------------------------------------------------------------

    private HttpResponse<String> call(String method, String path, String body) {
        return AdminCalls.send(turnout, method, path, body);
    }

    private HttpResponse<String> post(String plan) {
        return call("POST", ROLLOUT, plan);
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode rollout() {
        HttpResponse<String> response = call("GET", ROLLOUT, null);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    /** Waits for the running rollout to end (promoted or rolled back) and returns it. */
    private JsonNode awaitEnd() {
        JsonNode[] seen = new JsonNode[1];
        Await.until("the rollout to end", DEADLINE, () -> {
            seen[0] = rollout();
            return !seen[0].path("state").asText().equals("running");
        });
        return seen[0];
    }

    private Map<String, Integer> routeSplit() {
        HttpResponse<String> route = call("GET", "/api/v1/routes/web", null);
        assertEquals(200, route.statusCode(), route.body());
        return split(json(route));
    }

    private static Map<String, Integer> split(JsonNode view) {
        JsonNode split = view.path("split");
        return Map.of("stable", split.path("stable").asInt(-1), "canary", split.path("canary").asInt(-1));
    }

    private static Map<String, Integer> split(int stable, int canary) {
        return Map.of("stable", stable, "canary", canary);
    }

    private static List<String> outcomes(JsonNode rollout, boolean withWaits) {
        return StreamSupport.stream(rollout.path("verdicts").spliterator(), false)
                .map(v -> v.path("outcome").asText())
                .filter(o -> withWaits || !o.equals("wait"))
                .toList();
    }

    /** The real shares of the trail's entries other than waits. */
    private static List<Integer> steps(JsonNode rollout) {
        return StreamSupport.stream(rollout.path("verdicts").spliterator(), false)
                .filter(v -> !v.path("outcome").asText().equals("wait"))
                .map(v -> v.path("step").asInt())
                .toList();
    }

    private static List<JsonNode> verdicts(JsonNode rollout, String outcome) {
        return StreamSupport.stream(rollout.path("verdicts").spliterator(), false)
                .filter(v -> v.path("outcome").asText().equals(outcome))
                .toList();
    }

    private static JsonNode first(JsonNode rollout) {
        return rollout.path("verdicts").get(0);
    }

    private static JsonNode last(JsonNode rollout) {
        JsonNode trail = rollout.path("verdicts");
        return trail.get(trail.size() - 1);
    }

    private static void assertShare(JsonNode verdict, double low, double high) {
        double canary = verdict.path("canary").path("requests").asLong();
        double share = canary / (canary + verdict.path("stable").path("requests").asLong());
        assertTrue(share >= low && share <= high, "canary share " + share + " not in [" + low + ", " + high + "]: " + verdict);
    }

    // ---- metrics ------------------------------------------------------------------------------

    private String scrape() {
        HttpResponse<String> metrics = call("GET", "/metrics", null);
        assertEquals(200, metrics.statusCode(), metrics.body());
        return metrics.body();
    }

    /** {@code turnout_rollout_verdicts_total} of route web, by verdict. */
    private Map<String, Double> verdictCounters() {
        String text = scrape();
        return Map.of("pass", sample(text, "turnout_rollout_verdicts_total", "pass"),
                "fail", sample(text, "turnout_rollout_verdicts_total", "fail"),
                "wait", sample(text, "turnout_rollout_verdicts_total", "wait"));
    }

    private static double sample(String text, String name, String verdict) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && line.contains("route=\"web\"") && line.contains("verdict=\"" + verdict + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no " + name + " sample for verdict " + verdict + " in /metrics");
    }

    /** One sample, named exactly as exposed ({@code name{labels}}). */
    private double gauge(String sample) {
        String text = scrape();
        for (String line : text.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        throw new AssertionError("no sample " + sample + " in /metrics: " + text.lines()
                .filter(l -> l.contains("rollout")).toList());
    }

    // ---- waiting and logging ------------------------------------------------------------------

    private static void await(String what, BooleanSupplier condition) {
        Await.until(what, DEADLINE, condition);
    }

    /** Waits until {@code quiet} stops growing while {@code busy} grows by 300 more. */
    private static void awaitQuiet(String what, LongSupplier quiet, LongSupplier busy) {
        long[] mark = {quiet.getAsLong(), busy.getAsLong()};
        Await.until(what, DEADLINE, () -> {
            long now = quiet.getAsLong();
            if (now != mark[0]) {
                mark[0] = now;
                mark[1] = busy.getAsLong();
                return false;
            }
            return busy.getAsLong() - mark[1] >= 300;
        });
    }

    /** The verdict trail with its figures, for the record: in the test's output under target/surefire-reports. */
    private static void logTrail(String scenario, JsonNode rollout) {
        LOAD_LOG.info("{}: rollout {} ({}), split {}", scenario, rollout.path("state").asText(),
                rollout.path("reason").asText(), rollout.path("split"));
        for (JsonNode v : rollout.path("verdicts")) {
            LOAD_LOG.info("{}:   {} {} step {}% {}{}{}", scenario, v.path("at").asText(), v.path("outcome").asText(),
                    v.path("step").asInt(), v.path("reason").asText(), figures(v.path("stable")), figures(v.path("canary")));
            if (v.has("tests")) {
                LOAD_LOG.info("{}:     verdict {}", scenario, v);
            }
        }
    }

    private static String figures(JsonNode f) {
        if (f.isMissingNode() || f.isNull()) {
            return "";
        }
        return String.format(Locale.ROOT, " | %s: %d requests, %d errors (%.2f%%), p95 %.2f ms",
                f.path("pool").asText(), f.path("requests").asLong(), f.path("errors").asLong(),
                100 * f.path("error-rate").asDouble(), 1000 * f.path("p95-seconds").asDouble());
    }
}
