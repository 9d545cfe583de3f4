package dev.turnout.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.File;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** /metrics on the admin listener, scraped over HTTP after real traffic through the proxy. */
class MetricsExpositionTest {

    @Test
    void requestsAreCountedPerRoutePoolBackendAndStatus() throws Exception {
        try (FakeBackend s1 = FakeBackend.start();
                FakeBackend s2 = FakeBackend.start(Reply.status(500, "boom"));
                FakeBackend c1 = FakeBackend.start();
                Turnout proxy = TestProxy.start(twoPools(entry("s1", s1) + ", " + entry("s2", s2), entry("c1", c1), 50));
                RawClient client = RawClient.connect(proxy.address());
                RawClient stranger = RawClient.connect(proxy.address())) {
            int n = 12;
            for (int i = 0; i < n; i++) {
                int status = client.get("web.test", "/r" + i).status();
                assertTrue(status == 200 || status == 500, "status " + status);
            }
            assertEquals(503, stranger.get("elsewhere.test", "/").status(), "no route matches that host");
            assertEquals(n, s1.requestCount() + s2.requestCount() + c1.requestCount());
            assertTrue(s1.requestCount() > 0 && s2.requestCount() > 0 && c1.requestCount() > 0, "every backend got traffic");

            Map<String, Double> expected = Map.of(requests("web", "stable", "s1", "200"), (double) s1.requestCount(),
                    requests("web", "stable", "s2", "500"), (double) s2.requestCount(),
                    requests("web", "canary", "c1", "200"), (double) c1.requestCount(),
                    requests("none", "none", "none", "503"), 1.0);
            Await.until("all " + (n + 1) + " requests counted", () -> requestTotal(proxy) == n + 1);
            Map<String, Double> metrics = scrape(proxy);
            assertEquals(new TreeMap<>(expected), family(metrics, "turnout_requests_total"));

            Map<String, Double> counts = Map.of(
                    key("turnout_request_duration_seconds_count", "route", "web", "pool", "stable"),
                    (double) (s1.requestCount() + s2.requestCount()),
                    key("turnout_request_duration_seconds_count", "route", "web", "pool", "canary"), (double) c1.requestCount(),
                    key("turnout_request_duration_seconds_count", "route", "none", "pool", "none"), 1.0);
            assertEquals(counts, family(metrics, "turnout_request_duration_seconds_count"));

            for (String[] routePool : List.of(new String[] {"web", "stable"}, new String[] {"web", "canary"},
                    new String[] {"none", "none"})) {
                Map<String, Double> buckets = family(metrics, "turnout_request_duration_seconds_bucket").entrySet().stream()
                        .filter(e -> e.getKey().contains("route=\"" + routePool[0] + "\"")
                                && e.getKey().contains("pool=\"" + routePool[1] + "\""))
                        .collect(Collectors.toMap(e -> labels(e.getKey()).get("le"), Map.Entry::getValue));
                assertTrue(buckets.size() >= 10, "le buckets of " + String.join("/", routePool) + ": " + buckets.keySet());
                double count = counts.get(key("turnout_request_duration_seconds_count", "route", routePool[0],
                        "pool", routePool[1]));
                assertEquals(count, buckets.get("+Inf"), "the +Inf bucket holds every request");
                List<Double> cumulative = buckets.entrySet().stream()
                        .sorted(Map.Entry.comparingByKey((a, b) -> Double.compare(number(a), number(b))))
                        .map(Map.Entry::getValue).toList();
                for (int i = 1; i < cumulative.size(); i++) {
                    assertTrue(cumulative.get(i) >= cumulative.get(i - 1), "buckets are cumulative: " + buckets);
                }
            }
        }
    }

    @Test
    void gaugesFollowDeployState() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        try (FakeBackend s1 = FakeBackend.start(Reply.ok("late").after(gate));
                FakeBackend c1 = FakeBackend.start();
                Turnout proxy = TestProxy.start(twoPools(entry("s1", s1), entry("c1", c1), 0));
                RawClient client = RawClient.connect(proxy.address())) {
            String s1Inflight = key("turnout_backend_inflight", "pool", "stable", "backend", "s1");
            awaitValue(proxy, s1Inflight, 0);
            awaitValue(proxy, state("stable", "s1", "active"), 1);
            client.send("GET /held HTTP/1.1\r\nHost: web.test\r\n\r\n");
            s1.awaitRequest(0);
            awaitValue(proxy, s1Inflight, 1);
            awaitValue(proxy, key("turnout_backend_inflight", "pool", "canary", "backend", "c1"), 0);

            assertEquals(202, admin(proxy, "POST", "/api/v1/pools/stable/backends/s1/drain", null).statusCode(),
                    "a drain with a request in flight");
            awaitValue(proxy, state("stable", "s1", "draining"), 1);
            Map<String, Double> draining = scrape(proxy);
            assertEquals(0.0, draining.get(state("stable", "s1", "active")));
            assertEquals(0.0, draining.get(state("stable", "s1", "drained")));
            assertEquals(1.0, draining.get(s1Inflight));

            gate.complete(null);
            assertEquals(200, client.readResponse().status());
            awaitValue(proxy, s1Inflight, 0);
            awaitValue(proxy, state("stable", "s1", "drained"), 1);
            assertEquals(0.0, scrape(proxy).get(state("stable", "s1", "draining")));
            assertEquals(200, admin(proxy, "POST", "/api/v1/pools/stable/backends/s1/enable", null).statusCode());
            awaitValue(proxy, state("stable", "s1", "active"), 1);

            String c1Weight = key("turnout_backend_weight", "pool", "canary", "backend", "c1");
            awaitValue(proxy, c1Weight, 1);
            assertEquals(200, admin(proxy, "PUT", "/api/v1/pools/canary/backends/c1/weight", "{\"weight\":7}").statusCode());
            awaitValue(proxy, c1Weight, 7);

            String stableShare = key("turnout_route_split_percent", "route", "web", "pool", "stable");
            String canaryShare = key("turnout_route_split_percent", "route", "web", "pool", "canary");
            awaitValue(proxy, stableShare, 100);
            awaitValue(proxy, canaryShare, 0);
            assertEquals(200, admin(proxy, "PUT", "/api/v1/routes/web/split", "{\"stable\":30,\"canary\":70}").statusCode());
            awaitValue(proxy, stableShare, 30);
            awaitValue(proxy, canaryShare, 70);
        } finally {
            gate.complete(null);
        }
    }

    @Test
    void removingABackendRemovesItsSeriesAndAddingOneAddsThem() throws Exception {
        try (FakeBackend b0 = FakeBackend.start();
                FakeBackend b1 = FakeBackend.start();
                FakeBackend b1Again = FakeBackend.start();
                Turnout proxy = TestProxy.start(TestProxy.singlePool(b0, b1));
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 4; i++) {
                assertEquals(200, client.get("a.test", "/n" + i).status());
            }
            String b1Requests = requests("web", "app", "b1", "200");
            awaitValue(proxy, b1Requests, b1.requestCount());
            assertTrue(b1.requestCount() > 0, "b1 took traffic");
            assertTrue(seriesOf(scrape(proxy), "b1").containsKey(key("turnout_backend_up", "pool", "app", "backend", "b1")));

            assertEquals(200, admin(proxy, "DELETE", "/api/v1/pools/app/backends/b1", null).statusCode());
            Await.until("b1's series to go", () -> seriesOf(scrape(proxy), "b1").isEmpty());
            Map<String, Double> after = scrape(proxy);
            assertEquals(Map.of(), seriesOf(after, "b1"), "no series of a removed backend");
            assertEquals((double) b0.requestCount(), after.get(requests("web", "app", "b0", "200")));
            assertEquals(1.0, after.get(state("app", "b0", "active")), "the other backend keeps its series");

            String body = "{\"id\":\"b1\",\"address\":\"" + b1Again.address() + "\",\"weight\":1}";
            assertEquals(201, admin(proxy, "POST", "/api/v1/pools/app/backends", body).statusCode());
            awaitValue(proxy, key("turnout_backend_inflight", "pool", "app", "backend", "b1"), 0);
            awaitValue(proxy, state("app", "b1", "active"), 1);
            for (int i = 0; i < 4; i++) {
                assertEquals(200, client.get("a.test", "/m" + i).status());
            }
            assertTrue(b1Again.requestCount() > 0, "the added backend took traffic");
            awaitValue(proxy, b1Requests, b1Again.requestCount());
        }
    }

    @Test
    void aForceRemovedBackendsLastRequestDoesNotBringItsSeriesBack() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        try (FakeBackend held = FakeBackend.start(Reply.ok("late").after(gate));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(held));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /held HTTP/1.1\r\nHost: a.test\r\n\r\n");
            held.awaitRequest(0);
            assertEquals(200, admin(proxy, "DELETE", "/api/v1/pools/app/backends/b0?force=true", null).statusCode());
            Await.until("b0's series to go", () -> seriesOf(scrape(proxy), "b0").isEmpty());

            gate.complete(null);
            assertEquals(200, client.readResponse().status(), "the request in flight still finishes");
            // Its duration is recorded in the same call that would have counted it against b0.
            awaitValue(proxy, key("turnout_request_duration_seconds_count", "pool", "app", "route", "web"), 1);
            assertEquals(Map.of(), seriesOf(scrape(proxy), "b0"), "a removed backend stays removed from /metrics");
        }
    }

    @Test
    void cacheResultsAreCounted() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("cached").header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            for (String result : List.of("hit", "miss", "stale", "bypass")) {
                awaitValue(proxy, key("turnout_cache_requests_total", "result", result), 0);
            }
            assertEquals("MISS", client.get("a.test", "/c").header("x-cache"));
            assertEquals("HIT", client.get("a.test", "/c").header("x-cache"));
            client.send("POST /c HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\nhi");
            assertEquals(200, client.readResponse().status());
            assertEquals(2, backend.requestCount(), "the hit never reached the backend");
            awaitValue(proxy, key("turnout_cache_requests_total", "result", "bypass"), 1);
            Map<String, Double> metrics = scrape(proxy);
            assertEquals(Map.of(key("turnout_cache_requests_total", "result", "hit"), 1.0,
                    key("turnout_cache_requests_total", "result", "miss"), 1.0,
                    key("turnout_cache_requests_total", "result", "stale"), 0.0,
                    key("turnout_cache_requests_total", "result", "bypass"), 1.0),
                    family(metrics, "turnout_cache_requests_total"));
        }
    }

    @Test
    void everyRoutesRolloutSeriesAreThereFromStartUpAtZero() throws Exception {
        try (FakeBackend s1 = FakeBackend.start();
                FakeBackend c1 = FakeBackend.start();
                Turnout proxy = TestProxy.start(twoPools(entry("s1", s1), entry("c1", c1), 0))) {
            Map<String, Double> metrics = scrape(proxy);
            assertEquals(Map.of(key("turnout_rollout_running", "route", "web"), 0.0), family(metrics, "turnout_rollout_running"),
                    "before any rollout");
            assertEquals(Map.of(key("turnout_rollout_step_percent", "route", "web"), 0.0),
                    family(metrics, "turnout_rollout_step_percent"));
            assertEquals(Map.of(key("turnout_rollout_verdicts_total", "route", "web", "verdict", "pass"), 0.0,
                    key("turnout_rollout_verdicts_total", "route", "web", "verdict", "fail"), 0.0,
                    key("turnout_rollout_verdicts_total", "route", "web", "verdict", "wait"), 0.0),
                    family(metrics, "turnout_rollout_verdicts_total"));
        }
    }

    @Test
    void jvmNettyAndProcessSeriesAreServedAsText() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("a.test", "/").status());
            HttpResponse<String> response = admin(proxy, "GET", "/metrics", null);
            assertEquals(200, response.statusCode());
            String type = response.headers().firstValue("content-type").orElse("");
            assertTrue(type.startsWith("text/plain"), "content type: " + type);
            Map<String, Double> metrics = parse(response.body());
            assertTrue(family(metrics, "jvm_memory_used_bytes").values().stream().anyMatch(v -> v > 0),
                    "jvm_memory_used_bytes: " + family(metrics, "jvm_memory_used_bytes"));
            assertTrue(metrics.keySet().stream().anyMatch(k -> k.startsWith("netty_allocator_memory_used")),
                    "netty allocator series in " + metrics.keySet());
            assertTrue(metrics.keySet().stream().anyMatch(k -> k.startsWith("netty_eventexecutor_tasks_pending")),
                    "netty event loop series in " + metrics.keySet());
            assertTrue(metrics.getOrDefault("process_uptime_seconds", 0.0) > 0, "process_uptime_seconds");
            assertTrue(metrics.containsKey("jvm_threads_live_threads"), "jvm_threads_live_threads");
        }
    }

    @Test
    void disabledMetricsAnswer404AndTrafficStillFlows() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("through"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + "\nmetrics.enabled = false");
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse response = client.get("a.test", "/");
            assertEquals(200, response.status());
            assertEquals("through", response.bodyText());
            assertEquals(1, backend.requestCount());
            assertEquals(404, admin(proxy, "GET", "/metrics", null).statusCode());
            assertEquals(200, admin(proxy, "GET", "/healthz", null).statusCode(), "the admin listener itself is up");
        }
    }

    @Test
    void promtoolFindsNothingToCriticize() throws Exception {
        Optional<Path> promtool = onPath("promtool");
        Assumptions.assumeTrue(promtool.isPresent(), "promtool not installed: apt-get install prometheus");
        try (FakeBackend ok = FakeBackend.start();
                FakeBackend failing = FakeBackend.start(Reply.status(500, "boom"));
                FakeBackend canary = FakeBackend.start(Reply.ok("c").header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(twoPools(entry("s1", ok) + ", " + entry("s2", failing), entry("c1", canary), 50));
                RawClient client = RawClient.connect(proxy.address());
                RawClient stranger = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 6; i++) {
                client.get("web.test", "/same");
            }
            stranger.get("elsewhere.test", "/");
            Await.until("traffic counted", () -> requestTotal(proxy) == 7);
            String text = admin(proxy, "GET", "/metrics", null).body();
            Process check = new ProcessBuilder(promtool.get().toString(), "check", "metrics").redirectErrorStream(true).start();
            try (OutputStream in = check.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(check.waitFor(30, TimeUnit.SECONDS), "promtool finished");
            assertEquals("", output, "promtool check metrics output");
            assertEquals(0, check.exitValue(), "promtool exit code");
        }
    }

    /** Pools {@code stable} and {@code canary} behind route {@code web} for host web.test. */
    private static String twoPools(String stable, String canary, int canaryShare) {
        return "pools { stable { backends = [ " + stable + " ] }, canary { backends = [ " + canary + " ] } }\n"
                + "routes = [ { name = web, host = \"web.test\", split { stable = " + (100 - canaryShare)
                + ", canary = " + canaryShare + " } } ]";
    }

    private static String entry(String id, FakeBackend backend) {
        return TestProxy.backend(id, backend, 1);
    }

    private static HttpResponse<String> admin(Turnout proxy, String method, String path, String body) {
        return AdminCalls.send(proxy, method, path, body);
    }

    private static Map<String, Double> scrape(Turnout proxy) {
        HttpResponse<String> response = admin(proxy, "GET", "/metrics", null);
        assertEquals(200, response.statusCode(), "GET /metrics");
        return parse(response.body());
    }

    /** Waits until series {@code key} has {@code expected}, failing with the last value seen. */
    private static void awaitValue(Turnout proxy, String key, double expected) {
        AtomicReference<Double> last = new AtomicReference<>();
        try {
            Await.until(key + " = " + expected, () -> {
                last.set(scrape(proxy).get(key));
                return last.get() != null && last.get() == expected;
            });
        } catch (AssertionError e) {
            fail(key + ": expected " + expected + " but was " + last.get(), e);
        }
    }

    private static double requestTotal(Turnout proxy) {
        return family(scrape(proxy), "turnout_requests_total").values().stream().mapToDouble(Double::doubleValue).sum();
    }

    private static String requests(String route, String pool, String backend, String status) {
        return key("turnout_requests_total", "route", route, "pool", pool, "backend", backend, "status", status);
    }

    private static String state(String pool, String backend, String state) {
        return key("turnout_backend_state", "pool", pool, "backend", backend, "state", state);
    }

    private static Map<String, Double> seriesOf(Map<String, Double> metrics, String backend) {
        return metrics.entrySet().stream().filter(e -> backend.equals(labels(e.getKey()).get("backend")))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static Optional<Path> onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, command);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    // ---- a tiny parser of the text exposition format --------------------------------------------

    /** {@code name{a="x",b="y"}} (labels sorted by name) for a name and label pairs. */
    static String key(String name, String... labelPairs) {
        Map<String, String> labels = new TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            labels.put(labelPairs[i], labelPairs[i + 1]);
        }
        return key(name, labels);
    }

    private static String key(String name, Map<String, String> labels) {
        return labels.isEmpty() ? name : labels.entrySet().stream().map(e -> e.getKey() + "=\""
                + e.getValue().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"")
                .collect(Collectors.joining(",", name + "{", "}"));
    }

    /** Every sample: series key (as {@link #key}) to value; comments and blank lines skipped. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            Map<String, String> labels = new TreeMap<>();
            boolean labelled = brace >= 0 && brace < space;
            String name = line.substring(0, labelled ? brace : space);
            int rest = labelled ? parseLabels(line, brace + 1, labels) : space;
            String value = line.substring(rest).trim().split(" ")[0];
            Double previous = samples.put(key(name, labels), number(value));
            assertEquals(null, previous, "series appears twice: " + line);
        }
        return samples;
    }

    /** Reads {@code a="x",b="y"}} from {@code at}; returns the index after the closing brace. */
    private static int parseLabels(String line, int at, Map<String, String> labels) {
        int i = at;
        while (line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            String label = line.substring(i, eq).trim();
            StringBuilder value = new StringBuilder();
            i = eq + 2; // past ="
            for (char c = line.charAt(i); c != '"'; c = line.charAt(++i)) {
                if (c == '\\') {
                    char escaped = line.charAt(++i);
                    value.append(escaped == 'n' ? '\n' : escaped);
                } else {
                    value.append(c);
                }
            }
            labels.put(label, value.toString());
            i++;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i + 1;
    }

    private static Map<String, String> labels(String key) {
        Map<String, String> labels = new TreeMap<>();
        int brace = key.indexOf('{');
        if (brace >= 0) {
            parseLabels(key, brace + 1, labels);
        }
        return labels;
    }

    private static Map<String, Double> family(Map<String, Double> metrics, String name) {
        return metrics.entrySet().stream().filter(e -> e.getKey().equals(name) || e.getKey().startsWith(name + "{"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }

    private static double number(String text) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text);
        };
    }
}
