package dev.turnout.proxy.statuspage;

import static dev.turnout.proxy.statuspage.StatusPageBrowser.backend;
import static dev.turnout.proxy.statuspage.StatusPageBrowser.route;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The status page in a real browser (headless Chromium) against a running Turnout with fake backends:
 * what it shows, and that its controls do what the admin API does, refuse what it refuses, and ask first.
 * Skipped where Debian's {@code chromium} and {@code chromium-driver} are not installed.
 */
class StatusPageBrowserTest {

    private static final String TOKEN = "page-Token-42";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String twoPools(FakeBackend app1, FakeBackend app2, FakeBackend c1) {
        return "pools {\n"
                + "  stable { backends = [ " + TestProxy.backend("app1", app1, 1) + ", " + TestProxy.backend("app2", app2, 1)
                + " ] }\n"
                + "  canary { backends = [ " + TestProxy.backend("c1", c1, 1) + " ] }\n"
                + "}\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { stable = 100, canary = 0 } } ]";
    }

    @Test
    void withATokenThePageShowsThePoolsDrainsSetsTheSplitAndShowsARefusal() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        try (FakeBackend app1 = FakeBackend.start(r -> r.uri().startsWith("/held") ? Reply.ok("app1").after(release)
                        : Reply.ok("app1"));
                FakeBackend app2 = FakeBackend.start(Reply.ok("app2"));
                FakeBackend c1 = FakeBackend.start(Reply.ok("c1"));
                // The held request must outlast the clicks around it.
                Turnout proxy = TestProxy.start("admin { listen = \"127.0.0.1:0\", token = \"" + TOKEN + "\" }\n"
                        + "timeouts.request = 60s\n" + twoPools(app1, app2, c1));
                StatusPageBrowser page = StatusPageBrowser.open(adminUri(proxy, "/"), 1400, 1000)) {
            page.awaitShown("#token-form");
            assertFalse(page.shown("#content"), "nothing shows before the token");
            assertFalse(page.source().contains("app1") || page.source().contains(app1.address()),
                    "the page holds no data before the token");

            page.type("#token-input", TOKEN);
            page.click("#token-submit");

            page.awaitShown("section.pool[data-pool=\"stable\"]");
            page.awaitShown("section.pool[data-pool=\"canary\"]");
            for (String[] member : new String[][] {{"stable", "app1"}, {"stable", "app2"}, {"canary", "c1"}}) {
                page.awaitBackendField(member[0], member[1], "state", "active");
                assertEquals("1", page.backendField(member[0], member[1], "weight"));
            }
            assertEquals(app1.address(), page.backendField("stable", "app1", "address"));
            page.awaitText("the split", route("web") + " [data-field=\"split\"]", splitText(proxy));
            assertEquals(Map.of("stable", 100, "canary", 0), split(proxy));

            // Smooth weighted round robin over two equal backends: two requests in a row reach both, and app1 holds its.
            CompletableFuture<HttpResponse<String>> held = proxyGet(proxy, "/held");
            CompletableFuture<HttpResponse<String>> other = proxyGet(proxy, "/held");
            Await.until("app1 to hold a request", () -> app1.requestCount() == 1 && app2.requestCount() == 1);
            page.awaitBackendField("stable", "app1", "inflight", "1");

            page.clickBackendAction("stable", "app1", "drain");
            page.answerConfirmation("Drain stable/app1", true);
            page.awaitBackendField("stable", "app1", "state", "draining");
            Await.until("the drain's countdown to idle", StatusPageBrowser.PAGE_TIMEOUT,
                    () -> page.backendField("stable", "app1", "drain-countdown").startsWith("waiting for idle:"));
            assertEquals("draining", api(proxy, "GET", "/api/v1/pools/stable/backends/app1", null).path("state").asText());

            release.complete(null);
            assertEquals(200, held.get(10, TimeUnit.SECONDS).statusCode());
            assertEquals(200, other.get(10, TimeUnit.SECONDS).statusCode());
            page.awaitBackendField("stable", "app1", "state", "drained");
            assertTrue(page.awaitMessage("stable/app1 drained").contains("idle after"), page.message());
            assertEquals("", page.backendField("stable", "app1", "drain-countdown"), "the countdown ends with the drain");

            page.clickBackendAction("stable", "app2", "drain");
            page.answerConfirmation("Drain stable/app2", false);
            page.awaitRefresh();
            assertEquals("active", page.backendField("stable", "app2", "state"), "a declined confirmation changes nothing");
            assertEquals("active", api(proxy, "GET", "/api/v1/pools/stable/backends/app2", null).path("state").asText());

            page.typeAcrossARefresh(route("web") + " input[data-split-input=\"stable\"]", "80");
            page.type(route("web") + " input[data-split-input=\"canary\"]", "20");
            page.click(route("web") + " button[data-action=\"set-split\"]");
            page.answerConfirmation("Set the split of route web", true);
            try {
                Await.until("the API to report the split set in the page",
                        () -> split(proxy).equals(Map.of("stable", 80, "canary", 20)));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; the page says \"" + page.message() + "\", the API "
                        + split(proxy), e);
            }
            page.awaitText("the split", route("web") + " [data-field=\"split\"]", splitText(proxy));
            page.awaitMessage("route web now splits " + splitText(proxy));

            // The same refused call straight to the API, its pools in the page's order (the route's), gives the text to expect.
            Map<String, Integer> refused = new LinkedHashMap<>(split(proxy));
            refused.putAll(Map.of("stable", 70, "canary", 20));
            String refusal = apiError(proxy, "PUT", "/api/v1/routes/web/split", JSON.writeValueAsString(refused));
            page.type(route("web") + " input[data-split-input=\"stable\"]", "70");
            page.click(route("web") + " button[data-action=\"set-split\"]");
            page.answerConfirmation("stable 70", true);
            assertTrue(page.awaitMessage(refusal).startsWith("split of web refused: "), page.message());
            assertEquals("error", page.attribute("#message", "data-kind"));
            page.awaitRefresh();
            assertEquals(Map.of("stable", 80, "canary", 20), split(proxy), "a refused split changes nothing");
            assertEquals(splitText(proxy), page.text(route("web") + " [data-field=\"split\"]"));

            page.clickBackendAction("stable", "app1", "enable");
            page.answerConfirmation("Enable stable/app1", true);
            page.awaitBackendField("stable", "app1", "state", "active");
            page.awaitMessage("stable/app1 is active");

            page.click(route("web") + " details[data-role=\"rollout-form\"] summary");
            page.type(route("web") + " [data-rollout=\"steps\"]", "10,100");
            page.type(route("web") + " [data-rollout=\"interval\"]", "10m");
            page.click(route("web") + " button[data-action=\"start-rollout\"]");
            page.answerConfirmation("Start a rollout on route web from stable to canary, steps 10,100 every 10m", true);
            page.awaitText("the rollout's state", route("web") + " [data-field=\"rollout-state\"]", "running");
            page.awaitShown("tr.trail[data-trail=\"web\"] li[data-outcome=\"start\"]");
            assertEquals("running", api(proxy, "GET", "/api/v1/routes/web/rollout", null).path("state").asText());

            page.click(route("web") + " button[data-action=\"abort-rollout\"]");
            page.answerConfirmation("Abort the rollout on route web", true);
            page.awaitText("the rollout's state", route("web") + " [data-field=\"rollout-state\"]", "aborted");
            assertEquals("aborted", api(proxy, "GET", "/api/v1/routes/web/rollout", null).path("state").asText());
            page.awaitMessage("rollout on web aborted: stable gets 100%");
        } finally {
            release.complete(null);
        }
    }

    /**
     * The attack of issue 20: a page of another origin (here another port of this host) that sends a
     * {@code no-cors} POST, which needs no preflight, to drain a backend. The admin API answers 403 and
     * the backend stays in rotation; the status page's own buttons, same origin, still drain and enable.
     */
    @Test
    void aPageFromAnotherOriginCannotDrainButThePagesOwnButtonsCan() throws Exception {
        String drain = "/api/v1/pools/stable/backends/app1/drain";
        try (FakeBackend app1 = FakeBackend.start(Reply.ok("app1"));
                FakeBackend app2 = FakeBackend.start(Reply.ok("app2"));
                FakeBackend c1 = FakeBackend.start(Reply.ok("c1"));
                Turnout proxy = TestProxy.start(twoPools(app1, app2, c1));
                ForeignSite elsewhere = ForeignSite.start("""
                        <!doctype html><title>elsewhere</title><p id="outcome">pending</p>
                        <script>
                          const done = () => { document.getElementById('outcome').textContent = 'settled'; };
                          fetch('%s', { method: 'POST', mode: 'no-cors' }).then(done, done);
                        </script>
                        """.formatted(adminUri(proxy, drain)));
                StatusPageBrowser page = StatusPageBrowser.open(elsewhere.uri(), 1400, 1000, true)) {
            page.awaitText("the foreign page's fetch", "#outcome", "settled");
            List<Integer> answered = new ArrayList<>();
            Await.until("Chromium to log the admin API's answer", StatusPageBrowser.PAGE_TIMEOUT,
                    () -> answered.addAll(page.statusesReceived(drain)));
            assertEquals(List.of(403), answered, "what the admin API answered the foreign page");
            assertEquals("active", api(proxy, "GET", "/api/v1/pools/stable/backends/app1", null).path("state").asText());

            // The same call on a raw socket, as the browser sent it.
            try (RawClient raw = RawClient.connect(proxy.adminAddress())) {
                raw.send("POST " + drain + " HTTP/1.1\r\nHost: 127.0.0.1:" + proxy.adminAddress().getPort()
                        + "\r\nOrigin: " + elsewhere.origin() + "\r\nSec-Fetch-Site: same-site\r\nContent-Length: 0\r\n\r\n");
                RawResponse refused = raw.readResponse();
                assertEquals(403, refused.status(), refused::toString);
                assertTrue(refused.bodyText().contains("\"error\""), refused::toString);
            }
            assertEquals("active", api(proxy, "GET", "/api/v1/pools/stable/backends/app1", null).path("state").asText());

            page.visit(adminUri(proxy, "/"));
            page.awaitBackendField("stable", "app1", "state", "active");
            page.clickBackendAction("stable", "app1", "drain");
            page.answerConfirmation("Drain stable/app1", true);
            page.awaitBackendField("stable", "app1", "state", "drained");
            assertEquals("drained", api(proxy, "GET", "/api/v1/pools/stable/backends/app1", null).path("state").asText());

            page.clickBackendAction("stable", "app1", "enable");
            page.answerConfirmation("Enable stable/app1", true);
            page.awaitBackendField("stable", "app1", "state", "active");
            assertEquals("active", api(proxy, "GET", "/api/v1/pools/stable/backends/app1", null).path("state").asText());
        }
    }

    @Test
    void withoutATokenThePageAsksForNoneAndItsControlsWork() throws Exception {
        try (FakeBackend b0 = FakeBackend.start(Reply.ok("b0"));
                FakeBackend b1 = FakeBackend.start(Reply.ok("b1"));
                Turnout proxy = TestProxy.start(b0, b1);
                StatusPageBrowser page = StatusPageBrowser.open(adminUri(proxy, "/"), 1400, 900);
                RawClient client = RawClient.connect(proxy.address())) {
            page.awaitShown("section.pool[data-pool=\"app\"]");
            assertFalse(page.shown("#token-form"), "no token configured, none asked for");
            for (int i = 0; i < 20; i++) {
                assertEquals(200, client.get("any.test", "/r" + i).status());
            }
            page.awaitBackendField("app", "b0", "requests", String.valueOf(b0.requestCount()));
            page.awaitBackendField("app", "b1", "requests", String.valueOf(b1.requestCount()));
            assertTrue(page.backendField("app", "b0", "p95").endsWith(" ms"), page.backendField("app", "b0", "p95"));
            assertEquals("0.00%", page.backendField("app", "b0", "error-rate"));

            page.type(backend("app", "b1") + " input[data-weight-input]", "3");
            page.clickBackendAction("app", "b1", "set-weight");
            page.answerConfirmation("weight of app/b1 to 3", true);
            page.awaitBackendField("app", "b1", "weight", "3");
            assertEquals(3, api(proxy, "GET", "/api/v1/pools/app/backends/b1", null).path("weight").intValue());
        }
    }

    /**
     * Whoever opens the page in the middle of a deploy sees what came before: reloaded after seconds of load,
     * the chart begins with the server's history (points older than the page, at the server's own times),
     * and the head shows the process: version, uptime, client connections, cache hit ratio.
     */
    @Test
    void reloadedUnderLoadThePageDrawsItsChartsFromTheServersHistory() throws Exception {
        try (FakeBackend b0 = FakeBackend.start(Reply.ok("b0"));
                FakeBackend b1 = FakeBackend.start(Reply.ok("b1"));
                Turnout proxy = TestProxy.start(b0, b1);
                StatusPageBrowser page = StatusPageBrowser.open(adminUri(proxy, "/"), 1400, 900);
                LoadClient load = new LoadClient(URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/"), 2)) {
            page.awaitShown("section.pool[data-pool=\"app\"]");
            Await.until("10 samples of the load in the server's history", Duration.ofSeconds(30),
                    () -> historyTimes(proxy, "app").size() >= 10);

            page.reload();
            long loadedAt = ((Number) page.script("return Math.floor(performance.timeOrigin)")).longValue();
            String chart = "canvas[data-chart=\"app\"]";
            Await.until("the chart to take the server's history", StatusPageBrowser.PAGE_TIMEOUT,
                    () -> page.shown(chart) && Integer.parseInt(page.attribute(chart, "data-server-points")) >= 10);
            long oldest = Long.parseLong(page.attribute(chart, "data-oldest"));
            assertTrue(oldest < loadedAt, "the chart begins at " + oldest + ", before the page was loaded at " + loadedAt);
            assertTrue(historyTimes(proxy, "app").contains(oldest), "the chart's first point is a sample of the server's");
            assertTrue(load.failures().isEmpty(), load.failures()::toString);

            JsonNode turnout = api(proxy, "GET", "/api/v1/summary", null).path("turnout");
            assertEquals("Turnout " + turnout.path("version").asText(), page.text("#version"));
            assertTrue(page.text("#uptime").matches("\\d+ min \\d+ s"), page.text("#uptime"));
            assertTrue(page.text("#client-connections").matches("\\d+"), page.text("#client-connections"));
            page.awaitText("the cache hit ratio (answers without cache headers all miss)", "#cache-hit-ratio", "0.00%");
            assertEquals("no health check", page.backendField("app", "b0", "health"), "a pool without a health-check");
            assertEquals("no", page.backendField("app", "b0", "ejected"));
        }
    }

    /** The times of the server's samples for a pool. */
    private static List<Long> historyTimes(Turnout proxy, String pool) {
        try {
            List<Long> times = new ArrayList<>();
            api(proxy, "GET", "/api/v1/history", null).path("pools").path(pool).path("t").forEach(t -> times.add(t.asLong()));
            return times;
        } catch (Exception e) {
            throw new AssertionError("GET /api/v1/history failed", e);
        }
    }

    @Test
    void withMetricsOffTheTrafficFiguresAreDashes() throws Exception {
        try (FakeBackend b0 = FakeBackend.start();
                Turnout proxy = TestProxy.start(TestProxy.singlePool(b0) + "\nmetrics.enabled = false");
                StatusPageBrowser page = StatusPageBrowser.open(adminUri(proxy, "/"), 1400, 900)) {
            page.awaitBackendField("app", "b0", "state", "active");

            assertTrue(page.shown("#metrics-off"), "the page says metrics are off");
            for (String field : List.of("rate", "error-rate", "p95", "requests")) {
                assertEquals("–", page.backendField("app", "b0", field), field);
            }
        }
    }

    // ---- the admin API and the data plane, beside the page ------------------------------------------

    /** Another origin on this host: one page on a JDK HTTP server of its own, on another loopback port. */
    private record ForeignSite(HttpServer server) implements AutoCloseable {

        static ForeignSite start(String html) throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
            byte[] page = html.getBytes(StandardCharsets.UTF_8);
            server.createContext("/", exchange -> {
                exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                exchange.sendResponseHeaders(200, page.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(page);
                }
            });
            server.start();
            return new ForeignSite(server);
        }

        String origin() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        URI uri() {
            return URI.create(origin() + "/");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static URI adminUri(Turnout proxy, String path) {
        return URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort() + path);
    }

    private static CompletableFuture<HttpResponse<String>> proxyGet(Turnout proxy, String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.address().getPort() + path))
                .build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> send(Turnout proxy, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(adminUri(proxy, path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode api(Turnout proxy, String method, String path, String body) throws Exception {
        HttpResponse<String> response = send(proxy, method, path, body);
        assertEquals(200, response.statusCode(), () -> method + " " + path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    /** The API's own error text for a call it refuses. */
    private static String apiError(Turnout proxy, String method, String path, String body) throws Exception {
        HttpResponse<String> response = send(proxy, method, path, body);
        assertEquals(400, response.statusCode(), response::body);
        return JSON.readTree(response.body()).path("error").asText();
    }

    /** The route's split as the API reports it, in its order. */
    private static Map<String, Integer> split(Turnout proxy) {
        try {
            JsonNode split = api(proxy, "GET", "/api/v1/routes/web", null).path("split");
            return JSON.convertValue(split, JSON.getTypeFactory().constructMapType(LinkedHashMap.class, String.class,
                    Integer.class));
        } catch (Exception e) {
            throw new AssertionError("GET /api/v1/routes/web failed", e);
        }
    }

    /** The split as the page writes it: "pool share" in the API's order. */
    private static String splitText(Turnout proxy) {
        StringJoiner text = new StringJoiner(" · ");
        split(proxy).forEach((pool, share) -> text.add(pool + " " + share));
        return text.toString();
    }
}
