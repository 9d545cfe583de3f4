package dev.turnout.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.control.ControlCollaborators;
import dev.turnout.proxy.control.RuntimeControl;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.stats.TrafficSummary;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The status page's traffic figures: per backend and per pool, summed over routes, with a p95 of the
 * last seconds; and, through a real proxy, in {@code GET /api/v1/summary}.
 */
class StatusTrafficTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MILLI = 1_000_000;

    private RuntimeControl control;
    private TrafficMetrics metrics;
    private Route web;
    private Route api;
    private Pool stable;
    private Backend s1;
    private Backend s2;

    @BeforeEach
    void start() {
        control = new RuntimeControl(ConfigLoader.parse("""
                turnout {
                  state-file = ""
                  pools {
                    stable { backends = [ { id = s1, address = "127.0.0.1:9001" }, { id = s2, address = "127.0.0.1:9002" } ] }
                    canary { backends = [ { id = c1, address = "127.0.0.1:9003" } ] }
                  }
                  routes = [
                    { name = api, path-prefix = "/api/", split { stable = 100 } }
                    { name = web, path-prefix = "/", split { stable = 90, canary = 10 } }
                  ]
                }
                """), backend -> { }, ControlCollaborators.NONE);
        metrics = new TrafficMetrics(control.routing(), List.of());
        control.onPublish(metrics::follow);
        RouteTable table = control.routing().current();
        api = table.routes().get(0);
        web = table.routes().get(1);
        stable = table.pools().get("stable");
        s1 = stable.members().get(0).backend();
        s2 = stable.members().get(1).backend();
    }

    @AfterEach
    void stop() {
        metrics.close();
    }

    private void record(Route route, Backend backend, int status, long nanos, int times) {
        for (int i = 0; i < times; i++) {
            metrics.record(route, stable, backend, status, nanos);
        }
    }

    @Test
    void eachBackendAndPoolCountsItsRequestsAndErrorsOverEveryRoute() {
        record(web, s1, 200, 2 * MILLI, 30);
        record(api, s1, 500, 2 * MILLI, 10);
        record(web, s2, 200, 40 * MILLI, 20);
        record(web, null, 503, 0, 5);

        TrafficSummary traffic = metrics.traffic();

        assertFigures(traffic.pools().get("stable"), 65, 15);
        assertFigures(traffic.backends().get("stable").get("s1"), 40, 10);
        assertFigures(traffic.backends().get("stable").get("s2"), 20, 0);
        assertEquals(0.002, traffic.backends().get("stable").get("s1").p95Seconds(), 0.002 / 8);
        assertEquals(0.040, traffic.backends().get("stable").get("s2").p95Seconds(), 0.040 / 8);
        assertEquals(new TrafficSummary.Figures(0, 0, null), traffic.pools().get("canary"), "known before its first request");
        assertEquals(Map.of("c1", new TrafficSummary.Figures(0, 0, null)), traffic.backends().get("canary"));
    }

    @Test
    void theP95LooksAtTheLastSecondsOnly() {
        record(web, s1, 200, 200 * MILLI, 100);
        assertEquals(0.200, metrics.traffic().backends().get("stable").get("s1").p95Seconds(), 0.200 / 8,
                "younger than the window: all of it");
        secondsPass(metrics.traffic().p95WindowSeconds());
        record(web, s1, 200, MILLI, 100);

        TrafficSummary.Figures s1Figures = metrics.traffic().backends().get("stable").get("s1");
        assertEquals(200, s1Figures.requests(), "totals keep everything");
        assertEquals(0.001, s1Figures.p95Seconds(), 0.001 / 8, "the slow requests came before the window");

        secondsPass(metrics.traffic().p95WindowSeconds());
        TrafficSummary.Figures quiet = metrics.traffic().backends().get("stable").get("s1");
        assertEquals(200, quiet.requests());
        assertNull(quiet.p95Seconds(), "no request in the window, no p95");
        assertNull(metrics.traffic().pools().get("stable").p95Seconds());
    }

    @Test
    void aRemovedBackendDropsOutOfTheFigures() {
        record(web, s2, 200, MILLI, 3);
        metrics.sampleRecent();

        control.removeBackend("stable", "s2", false);
        metrics.sampleRecent();

        assertEquals(Set.of("s1"), metrics.traffic().backends().get("stable").keySet());
        assertEquals(3, metrics.traffic().pools().get("stable").requests(), "the pool keeps what it served");
    }

    @Test
    void theSummaryShowsWhatTheProxyCounted() throws Exception {
        try (FakeBackend ok = FakeBackend.start();
                FakeBackend failing = FakeBackend.start(Reply.status(500, "boom"));
                Turnout proxy = TestProxy.start(ok, failing);
                RawClient client = RawClient.connect(proxy.address())) {
            int n = 10;
            for (int i = 0; i < n; i++) {
                client.get("any.test", "/r" + i);
            }
            Await.until("all " + n + " requests counted",
                    () -> summary(proxy).path("pools").get(0).path("requests").asLong() == n);

            JsonNode summary = summary(proxy);
            assertTrue(summary.path("metrics").asBoolean(), summary::toString);
            JsonNode pool = summary.path("pools").get(0);
            JsonNode b0 = pool.path("backends").get(0);
            JsonNode b1 = pool.path("backends").get(1);
            assertEquals(failing.requestCount(), pool.path("errors").asLong(), pool::toString);
            assertEquals(ok.requestCount(), b0.path("requests").asLong(), b0::toString);
            assertEquals(0, b0.path("errors").asLong(), b0::toString);
            assertEquals(failing.requestCount(), b1.path("requests").asLong(), b1::toString);
            assertEquals(failing.requestCount(), b1.path("errors").asLong(), b1::toString);
            for (JsonNode figures : List.of(pool, b0, b1)) {
                assertTrue(figures.path("p95-seconds").asDouble() > 0, "a p95 after requests: " + figures);
            }
        }
    }

    @Test
    void withMetricsOffTheSummaryHasNoTrafficFigures() throws Exception {
        try (FakeBackend ok = FakeBackend.start();
                Turnout proxy = TestProxy.start(TestProxy.singlePool(ok) + "\nmetrics.enabled = false");
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("any.test", "/").status());

            JsonNode summary = summary(proxy);

            assertFalse(summary.path("metrics").asBoolean(true), summary::toString);
            JsonNode pool = summary.path("pools").get(0);
            for (JsonNode figures : List.of(pool, pool.path("backends").get(0))) {
                for (String field : List.of("requests", "errors", "p95-seconds")) {
                    assertTrue(figures.has(field) && figures.path(field).isNull(), field + " in " + figures);
                }
            }
        }
    }

    /** Samples as the scheduler would once a second, the window's seconds and one more. */
    private void secondsPass(int seconds) {
        for (int second = 0; second <= seconds; second++) {
            metrics.sampleRecent();
        }
    }

    private static void assertFigures(TrafficSummary.Figures figures, long requests, long errors) {
        assertEquals(requests, figures.requests(), figures::toString);
        assertEquals(errors, figures.errors(), figures::toString);
    }

    private static JsonNode summary(Turnout proxy) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort()
                + "/api/v1/summary")).build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response::body);
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("GET /api/v1/summary failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
