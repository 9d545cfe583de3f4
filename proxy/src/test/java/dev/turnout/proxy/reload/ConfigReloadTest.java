package dev.turnout.proxy.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/config/reload} on a running proxy, over real sockets: what a reload changes, what it
 * keeps (runtime changes, client and backend connections, requests in flight), and what it refuses.
 */
class ConfigReloadTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RELOAD = "/api/v1/config/reload";

    @TempDir
    Path dir;

    private final List<FakeBackend> backends = new ArrayList<>();
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

    private FakeBackend backend(String name) throws InterruptedException {
        return backend(Reply.ok(name));
    }

    private FakeBackend backend(Reply reply) throws InterruptedException {
        return backend(request -> reply);
    }

    private FakeBackend backend(Function<RecordedRequest, Reply> replies) throws InterruptedException {
        FakeBackend backend = FakeBackend.start(replies);
        backends.add(backend);
        return backend;
    }

    private Path file() {
        return dir.resolve("turnout.conf");
    }

    private void start(String hocon) throws IOException, InterruptedException {
        turnout = TestProxy.startFromFile(file(), hocon);
    }

    /** Rewrites the file and reloads it. */
    private HttpResponse<String> reload(String hocon) throws IOException {
        TestProxy.write(file(), hocon);
        return admin("POST", RELOAD);
    }

    private HttpResponse<String> admin(String method, String path) {
        return AdminCalls.send(turnout, method, path, null);
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode assertStatus(int status, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response::body);
        return json(response);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    private RawResponse get(String path) throws IOException {
        try (RawClient client = RawClient.connect(turnout.address())) {
            return client.get("a.test", path);
        }
    }

    private static String pool(String name, String... backendEntries) {
        return name + " { backends = [ " + String.join(", ", backendEntries) + " ] }\n";
    }

    private static String entry(String id, FakeBackend backend, int weight) {
        return TestProxy.backend(id, backend, weight);
    }

    @Test
    void aReloadUnderSteadyKeepAliveLoadFailsNoRequestAndKeepsADrainedBackendDrained(TestReporter report) throws Exception {
        FakeBackend b0 = backend("b0");
        FakeBackend b1 = backend("b1");
        FakeBackend b2 = backend("b2");
        FakeBackend a0 = backend("a0");
        String app = pool("app", entry("b0", b0, 1), entry("b1", b1, 1), entry("b2", b2, 1));
        String before = "pools { " + app + " }\nroutes = [ { name = web, split { app = 100 } } ]";
        String after = "pools { " + pool("app", entry("b0", b0, 2), entry("b1", b1, 1), entry("b2", b2, 1))
                + pool("api", entry("a0", a0, 1)) + " }\n"
                + "routes = [ { name = api, path-prefix = \"/api\", split { api = 100 } }, "
                + "{ name = web, split { app = 100 } } ]\ntimeouts.request = 4s";
        start(before);
        int clients = 8;
        try (LoadClient load = new LoadClient(URI.create("http://127.0.0.1:" + turnout.address().getPort() + "/"), clients)) {
            Await.until("load to flow", () -> load.sent() > 200);
            assertStatus(200, admin("POST", "/api/v1/pools/app/backends/b2/drain?wait=10s"));
            int servedByDrained = b2.requestCount();

            for (int i = 0; i < 6; i++) {
                JsonNode reloaded = assertStatus(200, reload(i % 2 == 0 ? after : before));
                if (i == 0) {
                    assertEquals(List.of("api"), texts(reloaded.path("routes").path("added")), reloaded::toString);
                    assertEquals(List.of("api"), texts(reloaded.path("pools").path("added")), reloaded::toString);
                    assertEquals(List.of("api/a0"), texts(reloaded.path("backends").path("added")), reloaded::toString);
                    assertEquals(List.of("app/b0"), texts(reloaded.path("backends").path("changed")), reloaded::toString);
                    assertEquals(List.of("turnout.timeouts.request"), texts(reloaded.path("settings")), reloaded::toString);
                    assertEquals(0, reloaded.path("dropped").size(), reloaded::toString);
                }
                long sent = load.sent();
                Await.until("load to flow after reload " + (i + 1), () -> load.sent() > sent + 100);
            }
            load.close();

            String figures = load.sent() + " requests over " + load.connections() + " connections, " + load.failures().size()
                    + " failed";
            report.publishEntry("across 6 reloads", figures);
            LoggerFactory.getLogger("turnout.test.load").info("across 6 reloads: {}", figures);
            assertEquals(List.of(), load.failures(), "failed requests across 6 reloads (of " + load.sent() + ")");
            assertEquals(clients, load.connections(), "every client kept its one keep-alive connection");
            assertTrue(load.servedBy("b0") > 0 && load.servedBy("b1") > 0, "the kept backends served");
            assertEquals(servedByDrained, b2.requestCount(), "the drained backend got no request after its drain");
            assertEquals("drained", json(admin("GET", "/api/v1/pools/app/backends/b2")).path("state").asText());
        }
    }

    @Test
    void aNewRouteAnswersRightAfterTheReloadOnAConnectionOpenedBefore() throws Exception {
        FakeBackend b0 = backend("b0");
        FakeBackend a0 = backend("a0");
        String web = "routes = [ { name = web, split { app = 100 } } ]";
        start("pools { " + pool("app", entry("b0", b0, 1)) + " }\n" + web);
        try (RawClient client = RawClient.connect(turnout.address())) {
            assertEquals("b0", client.get("a.test", "/api/orders").bodyText());

            assertStatus(200, reload("pools { " + pool("app", entry("b0", b0, 1)) + pool("api", entry("a0", a0, 1)) + " }\n"
                    + "routes = [ { name = api, path-prefix = \"/api\", split { api = 100 } }, "
                    + "{ name = web, split { app = 100 } } ]"));

            RawResponse routed = client.get("a.test", "/api/orders");
            assertEquals("a0", routed.bodyText(), routed::toString);
            assertFalse(routed.closes(), "the client connection stays open");
            assertEquals("b0", client.get("a.test", "/").bodyText());
        }
    }

    @Test
    void aBadFileIsRefusedWith422NamingEveryKeyAndTheOldConfigurationKeepsServing() throws Exception {
        FakeBackend b0 = backend("b0");
        String good = "pools { " + pool("app", entry("b0", b0, 1)) + " }\nroutes = [ { name = web, split { app = 100 } } ]";
        start(good);
        String hashBefore = json(admin("GET", "/api/v1/summary")).path("turnout").path("config-hash").asText();

        JsonNode refused = assertStatus(422, reload("pools { " + pool("app", entry("b0", b0, -1)) + " }\n"
                + "routes = [ { name = web, split { app = 90 } }, { name = api, path-prefix = \"/api\", split { app = 100 } } ]\n"
                + "timeouts.connect = soon"));

        assertTrue(refused.path("error").asText().contains("3 problems"), refused::toString);
        Set<String> keys = new TreeSet<>();
        refused.path("errors").forEach(e -> keys.add(e.path("key").asText()));
        assertEquals(Set.of("turnout.pools.app.backends[0].weight", "turnout.routes[0].split", "turnout.timeouts.connect"),
                keys, refused::toString);
        refused.path("errors").forEach(e -> assertFalse(e.path("problem").asText().isBlank(), refused::toString));
        assertEquals("b0", get("/api/x").bodyText(), "the old routes serve");
        assertEquals(1, json(admin("GET", "/api/v1/routes")).path("routes").size());
        JsonNode turnoutView = json(admin("GET", "/api/v1/summary")).path("turnout");
        assertEquals(hashBefore, turnoutView.path("config-hash").asText());
        assertEquals("failure", turnoutView.path("last-reload").path("result").asText(), turnoutView::toString);
        String metrics = admin("GET", "/metrics").body();
        assertTrue(metrics.contains("turnout_config_reloads_total{result=\"failure\"} 1.0"), metrics);
        assertTrue(metrics.contains("turnout_config_info{hash=\"" + hashBefore + "\"} 1"), metrics);

        JsonNode fixed = assertStatus(200, reload(good + "\ntimeouts.connect = 1s"));
        assertEquals(List.of("turnout.timeouts.connect"), texts(fixed.path("settings")), fixed::toString);
        turnoutView = json(admin("GET", "/api/v1/summary")).path("turnout");
        assertEquals("success", turnoutView.path("last-reload").path("result").asText(), turnoutView::toString);
        assertEquals(fixed.path("config-hash").asText(), turnoutView.path("config-hash").asText());
        assertFalse(hashBefore.equals(turnoutView.path("config-hash").asText()), "a new configuration, a new hash");
        metrics = admin("GET", "/metrics").body();
        assertTrue(metrics.contains("turnout_config_reloads_total{result=\"success\"} 1.0"), metrics);
        assertFalse(metrics.contains("turnout_config_info{hash=\"" + hashBefore + "\"}"), "the old hash is gone: " + metrics);
    }

    @Test
    void aListenAddressChangeIsRefusedNamingTheKeyAndChangesNothing() throws Exception {
        FakeBackend b0 = backend("b0");
        String good = "pools { " + pool("app", entry("b0", b0, 1)) + " }\nroutes = [ { name = web, split { app = 100 } } ]";
        start(good);

        JsonNode refused = assertStatus(409, reload(good.replace("routes = [", "routes = [ { name = api, path-prefix = \"/api\", "
                + "split { app = 100 } }, ") + "\nlisten = \"127.0.0.1:1\"\nio-threads = 2"));

        List<String> keys = new ArrayList<>();
        refused.path("errors").forEach(e -> keys.add(e.path("key").asText()));
        assertEquals(List.of("turnout.listen", "turnout.io-threads"), keys, refused::toString);
        assertTrue(refused.path("error").asText().contains("restart"), refused::toString);
        assertEquals(1, json(admin("GET", "/api/v1/routes")).path("routes").size(), "the route in the same file was not added");
        assertEquals("refused", json(admin("GET", "/api/v1/summary")).path("turnout").path("last-reload").path("result")
                .asText());
        assertTrue(admin("GET", "/metrics").body().contains("turnout_config_reloads_total{result=\"refused\"} 1.0"));
        assertEquals("b0", get("/").bodyText());
    }

    @Test
    void aPooledConnectionToABackendThatStaysSurvivesTheReload() throws Exception {
        FakeBackend b0 = backend("b0");
        FakeBackend a0 = backend("a0");
        start("pools { " + pool("app", entry("b0", b0, 1)) + " }\nroutes = [ { name = web, split { app = 100 } } ]");
        assertEquals("b0", get("/warm").bodyText());
        assertEquals(1, b0.connectionCount());

        // The kept backend gets a new weight; the pool and the routes around it change too.
        JsonNode reloaded = assertStatus(200, reload("pools { " + pool("app", entry("b0", b0, 5)) + pool("api",
                entry("a0", a0, 1)) + " }\nroutes = [ { name = api, path-prefix = \"/api\", split { api = 100 } }, "
                + "{ name = web, split { app = 100 } } ]\ntimeouts.idle = 30s"));
        assertEquals(List.of("app/b0"), texts(reloaded.path("backends").path("changed")), reloaded::toString);

        assertEquals("b0", get("/after").bodyText());
        assertEquals(1, b0.connectionCount(), "the backend saw no new connection: the pooled one was reused");
        assertEquals(2, b0.requestCount());
        assertEquals(5, json(admin("GET", "/api/v1/pools/app/backends/b0")).path("weight").intValue());
    }

    @Test
    void runtimeChangesThatFitAreKeptAndTheFilesOwnChangesApply() throws Exception {
        FakeBackend b0 = backend("b0");
        FakeBackend b1 = backend("b1");
        FakeBackend c0 = backend("c0");
        FakeBackend x0 = backend("x0");
        String pools = pool("app", entry("b0", b0, 1), entry("b1", b1, 1)) + pool("canary", entry("c0", c0, 1));
        start("pools { " + pools + " }\nroutes = [ { name = web, split { app = 100, canary = 0 } } ]");
        assertStatus(200, AdminCalls.send(turnout, "PUT", "/api/v1/pools/app/backends/b0/weight", "{\"weight\":7}"));
        assertStatus(200, AdminCalls.send(turnout, "PUT", "/api/v1/routes/web/split", "{\"app\":80,\"canary\":20}"));
        assertStatus(201, AdminCalls.send(turnout, "POST", "/api/v1/pools/canary/backends",
                "{\"id\":\"x0\",\"address\":\"" + x0.address() + "\"}"));

        // The file changes b1's weight (not changed at runtime) and adds a route; canary keeps its runtime backend.
        JsonNode reloaded = assertStatus(200, reload("pools { " + pool("app", entry("b0", b0, 1), entry("b1", b1, 4))
                + pool("canary", entry("c0", c0, 1)) + " }\nroutes = [ { name = web, split { app = 100, canary = 0 } }, "
                + "{ name = other, path-prefix = \"/other\", split { app = 100 } } ]"));

        assertEquals(0, reloaded.path("dropped").size(), reloaded::toString);
        JsonNode app = json(admin("GET", "/api/v1/pools/app"));
        assertEquals(7, app.path("backends").get(0).path("weight").intValue(), "the runtime weight is kept: " + app);
        assertEquals(4, app.path("backends").get(1).path("weight").intValue(), "the file's weight applies: " + app);
        JsonNode web = json(admin("GET", "/api/v1/routes/web"));
        assertEquals(20, web.path("split").path("canary").intValue(), "the runtime split is kept: " + web);
        assertEquals(200, admin("GET", "/api/v1/pools/canary/backends/x0").statusCode(), "the added backend is kept");

        // The pool goes from the file: its runtime backend and the split that names it no longer fit.
        reloaded = assertStatus(200, reload("pools { " + pool("app", entry("b0", b0, 1), entry("b1", b1, 4))
                + " }\nroutes = [ { name = web, split { app = 100 } } ]"));
        List<String> dropped = texts(reloaded.path("dropped"));
        assertEquals(2, dropped.size(), dropped::toString);
        assertTrue(dropped.get(0).startsWith("the backend canary/x0 added at runtime"), dropped::toString);
        assertTrue(dropped.get(1).startsWith("the split {app=80, canary=20} of route web"), dropped::toString);
        assertEquals(100, json(admin("GET", "/api/v1/routes/web")).path("split").path("app").intValue());
        assertEquals(404, admin("GET", "/api/v1/pools/canary").statusCode());
        List<String> canarySeries = admin("GET", "/metrics").body().lines().filter(line -> !line.startsWith("#")
                && line.contains("pool=\"canary\"") && (line.startsWith("turnout_route_split_percent")
                || line.startsWith("turnout_retries_total") || line.startsWith("turnout_backend_"))).toList();
        assertEquals(List.of(), canarySeries, "the removed pool's gauges and retry counters are gone");
    }

    /** Alone, the reload saves the state it routes by: a restart then routes the same way, the file's new weight too. */
    @Test
    void aRestartAfterAReloadRoutesAsTheReloadDid() throws Exception {
        FakeBackend b0 = backend("b0");
        FakeBackend b1 = backend("b1");
        String state = "state-file = \"" + dir.resolve("state.json") + "\"\n";
        start(state + "pools { " + pool("app", entry("b0", b0, 1), entry("b1", b1, 1)) + " }\n"
                + "routes = [ { name = web, split { app = 100 } } ]");
        assertStatus(200, admin("POST", "/api/v1/pools/app/backends/b0/drain"));
        String reloaded = state + "pools { " + pool("app", entry("b0", b0, 1), entry("b1", b1, 4)) + " }\n"
                + "routes = [ { name = web, split { app = 100 } } ]";
        assertStatus(200, reload(reloaded));
        turnout.close();

        turnout = TestProxy.startFromFile(file(), reloaded);

        JsonNode app = json(admin("GET", "/api/v1/pools/app"));
        assertEquals("drained", app.path("backends").get(0).path("state").asText(), app::toString);
        assertEquals(4, app.path("backends").get(1).path("weight").intValue(), app::toString);
    }

    @Test
    void aNewResponseTimeoutAppliesToTheNextRequest() throws Exception {
        FakeBackend slow = backend(Reply.ok("slow").delayed(Duration.ofMillis(600)));
        String hocon = "pools { " + pool("app", entry("b0", slow, 1)) + " }\nroutes = [ { name = web, split { app = 100 } } ]";
        start(hocon);
        assertEquals(200, get("/").status());

        assertStatus(200, reload(hocon + "\ntimeouts.request = 100ms"));

        RawResponse timedOut = get("/");
        assertEquals(504, timedOut.status(), timedOut::toString);
    }

    @Test
    void aPoolThatLosesItsHealthCheckTakesTrafficAgain() throws Exception {
        FakeBackend sick = backend(r -> r.uri().equals("/health") ? Reply.status(503, "sick") : Reply.ok("b0"));
        String checked = "pools { app { backends = [ " + entry("b0", sick, 1) + " ], "
                + "health-check { path = \"/health\", interval = 100ms, timeout = 100ms, unhealthy-threshold = 1 } } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]";
        start(checked);
        Await.until("the backend to be found down",
                () -> "down".equals(json(admin("GET", "/api/v1/pools/app/backends/b0")).path("health").asText()));
        assertEquals(503, get("/").status());

        JsonNode reloaded = assertStatus(200, reload("pools { " + pool("app", entry("b0", sick, 1)) + " }\n"
                + "routes = [ { name = web, split { app = 100 } } ]"));
        assertEquals(List.of("app"), texts(reloaded.path("pools").path("changed")), reloaded::toString);

        Await.until("the backend to take traffic again", () -> {
            try {
                return get("/").status() == 200;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertEquals("unknown", json(admin("GET", "/api/v1/pools/app/backends/b0")).path("health").asText());
    }
}
