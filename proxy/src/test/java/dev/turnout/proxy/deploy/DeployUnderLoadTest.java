package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.TestCertificates;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The reason Turnout exists, end to end: deploys under continuous load from a client that counts
 * every answer. A rolling restart driven by the shipped script, a blue-green switch, a canary
 * split and a runtime add must each fail zero requests.
 */
class DeployUnderLoadTest {

    private static final Path SCRIPT = Path.of(System.getProperty("user.dir")).getParent()
            .resolve("conf/deploy/rolling-deploy.sh");
    private static final HttpClient ADMIN = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private Turnout turnout;

    @AfterEach
    void stop() throws InterruptedException {
        if (turnout != null) {
            turnout.close();
        }
    }

    private Turnout start(String pools, String split, String extra) throws Exception {
        turnout = Turnout.start(ConfigLoader.parse("""
                turnout {
                  listen = "127.0.0.1:0"
                  pools { %s }
                  routes = [ { name = web, split { %s } } ]
                  %s
                }
                """.formatted(pools, split, extra)));
        return turnout;
    }

    private static String pool(String name, RestartableBackend... backends) {
        StringBuilder text = new StringBuilder(name).append(" { backends = [");
        for (RestartableBackend b : backends) {
            text.append(" { id = ").append(b.id()).append(", address = \"").append(b.address()).append("\" },");
        }
        return text.append(" ] }\n").toString();
    }

    private URI proxyUri(String path) {
        return URI.create("http://127.0.0.1:" + turnout.address().getPort() + path);
    }

    private String admin() {
        return "http://127.0.0.1:" + turnout.adminAddress().getPort();
    }

    private HttpResponse<String> adminCall(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(admin() + path));
        request.header("Content-Type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return ADMIN.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRollingRestartDrivenByTheScriptFailsNoRequest(TestReporter report) throws Exception {
        try (RestartableBackend app1 = new RestartableBackend("app1");
                RestartableBackend app2 = new RestartableBackend("app2");
                RestartableBackend app3 = new RestartableBackend("app3")) {
            start(pool("stable", app1, app2, app3), "stable = 100", "");
            Map<String, RestartableBackend> byId = Map.of("app1", app1, "app2", app2, "app3", app3);
            HttpServer restarter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
            restarter.createContext("/restart/", exchange -> {
                String id = exchange.getRequestURI().getPath().substring("/restart/".length());
                try {
                    byId.get(id).restart();
                    exchange.sendResponseHeaders(200, -1);
                } catch (Exception e) {
                    byte[] reason = e.toString().getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(500, reason.length);
                    exchange.getResponseBody().write(reason);
                } finally {
                    exchange.close();
                }
            });
            restarter.start();
            try (LoadClient load = new LoadClient(proxyUri("/"), 4)) {
                await(() -> load.sent() > 300);

                Process deploy = new ProcessBuilder("bash", SCRIPT.toString(),
                        "--admin", admin(), "--pool", "stable", "--drain-wait", "20s", "--health-path", "/health",
                        "--prepare", "echo delivering release",
                        "--restart", "curl -sS --fail-with-body -X POST http://127.0.0.1:"
                                + restarter.getAddress().getPort() + "/restart/{id}")
                        .redirectErrorStream(true).start();
                String output = new String(deploy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, deploy.waitFor(), output);

                long after = load.sent();
                await(() -> load.sent() > after + 300);
                load.close();

                publish(report, "rolling restart", load);
                assertTrue(output.contains("delivering release"), output);
                for (int i = 1; i <= 3; i++) {
                    assertTrue(output.contains("backend " + i + " of 3: app" + i + " drained in "), output);
                }
                assertTrue(output.contains("rolling deploy of pool stable done: 3 backends"), output);
                for (RestartableBackend b : byId.values()) {
                    assertEquals(2, b.starts(), b.id() + " was really stopped and started again");
                    assertTrue(load.servedBy(b.id()) > 0, b.id() + " served traffic");
                }
                assertEquals(List.of(), load.failures(), "failed requests during the roll (of " + load.sent() + ")");
                assertTrue(load.sent() > 600, "load kept flowing: " + load.sent());
            } finally {
                restarter.stop(0);
            }
        }
    }

    @Test
    void theScriptStopsAtTheFirstFailureLeavingTheRestServing() throws Exception {
        try (RestartableBackend app1 = new RestartableBackend("app1");
                RestartableBackend app2 = new RestartableBackend("app2")) {
            start(pool("stable", app1, app2), "stable = 100", "");

            Process deploy = new ProcessBuilder("bash", SCRIPT.toString(), "--admin", admin(), "--pool", "stable",
                    "--restart", "test {id} != app1").redirectErrorStream(true).start();
            String output = new String(deploy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertEquals(1, deploy.waitFor(), output);
            assertTrue(output.contains("restart command for app1 failed"), output);
            assertTrue(output.contains("--start-at app1"), output);
            assertTrue(adminCall("GET", "/api/v1/pools/stable/backends/app1", null).body().contains("\"state\":\"drained\""));
            assertTrue(adminCall("GET", "/api/v1/pools/stable/backends/app2", null).body().contains("\"state\":\"active\""),
                    "the backend after the failure was not touched");
        }
    }

    @Test
    void theScriptDrivesAnAdminApiThatRequiresAClientCertificate() throws Exception {
        TestCertificates certificates = TestCertificates.withCa(dir);
        certificates.server("DNS:localhost,IP:127.0.0.1", "admin");
        certificates.client("/CN=deploy", "deploy", "ca");
        try (RestartableBackend app1 = new RestartableBackend("app1");
                RestartableBackend app2 = new RestartableBackend("app2")) {
            start(pool("stable", app1, app2), "stable = 100", "admin { listen = \"127.0.0.1:0\", tls { cert = \""
                    + certificates.file("admin.crt") + "\", key = \"" + certificates.file("admin.key") + "\", client-ca = \""
                    + certificates.file("ca.crt") + "\" } }");
            String admin = "https://127.0.0.1:" + turnout.adminAddress().getPort();
            List<String> common = List.of("bash", SCRIPT.toString(), "--admin", admin, "--pool", "stable",
                    "--restart", "true", "--cacert", certificates.file("ca.crt").toString());

            Process refused = new ProcessBuilder(common).redirectErrorStream(true).start();
            String refusal = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, refused.waitFor(), refusal);
            assertTrue(refusal.contains("admin API unreachable"), refusal);

            List<String> withCertificate = new ArrayList<>(common);
            withCertificate.addAll(List.of("--cert", certificates.file("deploy.crt").toString(),
                    "--key", certificates.file("deploy.key").toString()));
            Process deploy = new ProcessBuilder(withCertificate).redirectErrorStream(true).start();
            String output = new String(deploy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertEquals(0, deploy.waitFor(), output);
            assertTrue(output.contains("backend 1 of 2: app1 drained in "), output);
            assertTrue(output.contains("backend 2 of 2: app2 drained in "), output);
            assertTrue(output.contains("rolling deploy of pool stable done: 2 backends"), output);
            for (String id : List.of("app1", "app2")) {
                assertEquals("active", turnout.control().backend("stable", id).state(), id + " is back in rotation");
            }
        }
    }

    @Test
    void aBlueGreenSwitchFailsNoRequest(TestReporter report) throws Exception {
        try (RestartableBackend blue1 = new RestartableBackend("blue1");
                RestartableBackend blue2 = new RestartableBackend("blue2");
                RestartableBackend green1 = new RestartableBackend("green1");
                RestartableBackend green2 = new RestartableBackend("green2")) {
            start(pool("blue", blue1, blue2) + pool("green", green1, green2), "blue = 100, green = 0", "");
            try (LoadClient load = new LoadClient(proxyUri("/"), 4)) {
                await(() -> load.sent() > 300);
                assertEquals(0, load.servedBy("green1") + load.servedBy("green2"));

                HttpResponse<String> switched = adminCall("PUT", "/api/v1/routes/web/split", "{\"blue\":0,\"green\":100}");
                assertEquals(200, switched.statusCode(), switched.body());
                // Once the requests already on blue have finished, blue can go away entirely.
                await(() -> inflight("blue", "blue1") == 0 && inflight("blue", "blue2") == 0);
                long blueServed = load.servedBy("blue1") + load.servedBy("blue2");
                blue1.stop();
                blue2.stop();
                long after = load.sent();
                await(() -> load.sent() > after + 500);
                load.close();

                publish(report, "blue-green switch", load);
                assertEquals(blueServed, load.servedBy("blue1") + load.servedBy("blue2"), "nothing went to blue after");
                assertTrue(load.servedBy("green1") > 0 && load.servedBy("green2") > 0);
                assertEquals(List.of(), load.failures(), "failed requests during the switch (of " + load.sent() + ")");
            }
            blue1.start();
            blue2.start();
        }
    }

    @Test
    void aCanarySplitOf95To5IsWithinOnePointOver20000Requests(TestReporter report) throws Exception {
        try (RestartableBackend stable = new RestartableBackend("stable1");
                RestartableBackend canary = new RestartableBackend("canary1")) {
            start(pool("stable", stable) + pool("canary", canary), "stable = 100, canary = 0", "");
            HttpResponse<String> split = adminCall("PUT", "/api/v1/routes/web/split", "{\"stable\":95,\"canary\":5}");
            assertEquals(200, split.statusCode(), split.body());

            try (LoadClient load = new LoadClient(proxyUri("/"), 4)) {
                await(() -> load.servedBy("stable1") + load.servedBy("canary1") >= 20_000);
                load.close();
                double total = load.servedBy("stable1") + load.servedBy("canary1");
                double canaryShare = 100.0 * load.servedBy("canary1") / total;
                publish(report, "95/5 split, canary " + canaryShare + "%", load);

                assertTrue(Math.abs(canaryShare - 5.0) <= 1.0, "canary share " + canaryShare + "% of " + total);
                assertEquals(List.of(), load.failures());
            }
        }
    }

    @Test
    void aBackendAddedAtRuntimeTakesTrafficAndNoRequestFails(TestReporter report) throws Exception {
        try (RestartableBackend app1 = new RestartableBackend("app1");
                RestartableBackend app2 = new RestartableBackend("app2")) {
            start(pool("stable", app1), "stable = 100", "");
            try (LoadClient load = new LoadClient(proxyUri("/"), 4)) {
                await(() -> load.sent() > 300);

                HttpResponse<String> added = adminCall("POST", "/api/v1/pools/stable/backends",
                        "{\"id\":\"app2\",\"address\":\"" + app2.address() + "\",\"weight\":1}");
                assertEquals(201, added.statusCode(), added.body());
                await(() -> load.servedBy("app2") > 300);
                load.close();
                publish(report, "runtime add", load);

                assertEquals(List.of(), load.failures(), "failed requests around the add (of " + load.sent() + ")");
            }
        }
    }

    @Test
    void aDrainWaitsForTheSlowRequestInFlightThenAnswers200() throws Exception {
        try (RestartableBackend app1 = new RestartableBackend("app1");
                RestartableBackend app2 = new RestartableBackend("app2")) {
            start(pool("stable", app1) + pool("spare", app2), "stable = 100", "");
            CompletableFuture<HttpResponse<String>> slow = ADMIN.sendAsync(HttpRequest.newBuilder(proxyUri("/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            await(() -> app1.slowArrived() == 1);

            HttpResponse<String> shortWait = adminCall("POST", "/api/v1/pools/stable/backends/app1/drain?wait=100ms", null);
            assertEquals(202, shortWait.statusCode(), shortWait.body());
            assertTrue(shortWait.body().contains("\"inflight\":1"), shortWait.body());
            assertTrue(shortWait.body().contains("\"state\":\"draining\""), shortWait.body());

            CompletableFuture<HttpResponse<String>> drain = ADMIN.sendAsync(HttpRequest.newBuilder(
                    URI.create(admin() + "/api/v1/pools/stable/backends/app1/drain?wait=30s"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, ADMIN.send(HttpRequest.newBuilder(proxyUri("/")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "no new request goes to a draining backend");
            assertFalse(drain.isDone(), "the drain waits while a request is in flight");

            app1.releaseSlow();

            assertEquals(200, slow.get().statusCode(), "the request in flight finished normally");
            HttpResponse<String> drained = drain.get();
            assertEquals(200, drained.statusCode(), drained.body());
            assertTrue(drained.body().contains("\"state\":\"drained\""), drained.body());
            assertTrue(drained.body().contains("\"inflight\":0"), drained.body());
        }
    }

    @Test
    void aRestartedTurnoutKeepsDrainsAndRuntimeAddedBackends() throws Exception {
        try (RestartableBackend app1 = new RestartableBackend("app1");
                RestartableBackend app2 = new RestartableBackend("app2");
                RestartableBackend app3 = new RestartableBackend("app3")) {
            String stateFile = "state-file = \"" + dir.resolve("turnout-state.json") + "\"";
            start(pool("stable", app1, app2), "stable = 100", stateFile);
            assertEquals(200, adminCall("POST", "/api/v1/pools/stable/backends/app1/drain", null).statusCode());
            assertEquals(201, adminCall("POST", "/api/v1/pools/stable/backends",
                    "{\"id\":\"app3\",\"address\":\"" + app3.address() + "\"}").statusCode());
            turnout.close();
            assertTrue(Files.exists(dir.resolve("turnout-state.json")));

            start(pool("stable", app1, app2), "stable = 100", stateFile);

            String pool = adminCall("GET", "/api/v1/pools/stable", null).body();
            assertTrue(pool.contains("\"id\":\"app1\",\"address\":\"" + app1.address() + "\",\"weight\":1,\"state\":\"drained\""),
                    pool);
            assertTrue(pool.contains("\"id\":\"app3\""), pool);
            int before = app1.served();
            for (int i = 0; i < 20; i++) {
                assertEquals(200, ADMIN.send(HttpRequest.newBuilder(proxyUri("/")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode());
            }
            assertEquals(before, app1.served(), "a drained backend gets no traffic after a restart");
            assertEquals(20, app2.served() + app3.served());
        }
    }

    /** The load figures, for the record: in the test's output file under target/surefire-reports. */
    private static void publish(TestReporter report, String scenario, LoadClient load) {
        report.publishEntry(Map.of("sent", String.valueOf(load.sent()), "failed", String.valueOf(load.failures().size())));
        LoggerFactory.getLogger("turnout.test.load").info("{}: {} requests sent, {} failed", scenario, load.sent(),
                load.failures().size());
    }

    private int inflight(String pool, String id) {
        try {
            String body = adminCall("GET", "/api/v1/pools/" + pool + "/backends/" + id, null).body();
            return Integer.parseInt(body.replaceAll(".*\"inflight\":(\\d+).*", "$1").trim());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(BooleanSupplier condition) {
        Await.until("the load to progress", Duration.ofSeconds(60), condition);
    }
}
