package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.admin.BackendView;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.EtcdServer;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet mode end to end: three Turnouts sharing their runtime state through one real etcd, each
 * test under a prefix of its own. Changes go through one instance's admin API; the others must
 * follow within a second, and traffic spread over all three must not notice a deploy or an etcd
 * outage.
 */
class FleetTest {

    private static final Logger LOAD = LoggerFactory.getLogger("turnout.test.load");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration PROPAGATION = Duration.ofSeconds(1);

    @TempDir
    static Path dir;

    private static EtcdServer etcd;
    private final List<Turnout> fleet = new ArrayList<>();
    private final List<RestartableBackend> backends = new ArrayList<>();

    @BeforeAll
    static void startEtcd() throws IOException {
        etcd = EtcdServer.start(dir);
    }

    @AfterAll
    static void stopEtcd() throws InterruptedException {
        if (etcd != null) {
            etcd.close();
        }
    }

    @AfterEach
    void stopFleet() throws InterruptedException {
        for (Turnout turnout : fleet) {
            turnout.close();
        }
        for (RestartableBackend backend : backends) {
            backend.close();
        }
    }

    /** Instances a, b and c in front of backends app1..appN (pool {@code app}, ids as named), sharing {@code cluster}. */
    private List<Turnout> startFleet(String cluster, int backendCount) throws Exception {
        return startFleet(cluster, "app { backends = [ " + backendEntries("app", backendCount) + "] }", "app = 100");
    }

    private String backendEntries(String prefix, int count) throws InterruptedException {
        StringBuilder entries = new StringBuilder();
        for (int i = 1; i <= count; i++) {
            RestartableBackend backend = new RestartableBackend(prefix + i);
            backends.add(backend);
            entries.append(TestProxy.backend(backend.id(), backend.address(), 1)).append('\n');
        }
        return entries.toString();
    }

    private List<Turnout> startFleet(String cluster, String pools, String split) throws Exception {
        for (String name : List.of("a", "b", "c")) {
            fleet.add(TestProxy.start("pools { " + pools + " }\n"
                    + "routes = [ { name = web, split { " + split + " } } ]\n"
                    + "state-file = \"" + dir.resolve(cluster + "-" + name + ".json") + "\"\n"
                    + "state { store = etcd, etcd { endpoints = [\"" + etcd.endpoint() + "\"], prefix = \"/turnout/" + cluster
                    + "\", instance = " + name + ", timeout = 1s, lease-ttl = 2s } }"));
        }
        // Every instance has published its counts: the fleet is assembled.
        String pool = fleet.get(0).control().pools().get(0).name();
        String first = fleet.get(0).control().pools().get(0).backends().get(0).id();
        Await.until("every instance sees the other two", () -> fleet.stream()
                .allMatch(t -> t.control().backend(pool, first).fleet().size() == 3));
        return List.copyOf(fleet);
    }

    @Test
    void aDrainThroughOneInstanceIsHonouredByTheOthersWithinASecond() throws Exception {
        List<Turnout> abc = startFleet("drain", 2);

        HttpResponse<String> drained = admin(abc.get(0), "POST", "/api/v1/pools/app/backends/app1/drain", null);

        assertEquals(200, drained.statusCode(), drained.body());
        Await.until("b and c drain app1", PROPAGATION, () -> everywhere(abc, t -> !state(t, "app1").equals("active")));
        for (Turnout turnout : abc) {
            for (int i = 0; i < 4; i++) {
                assertEquals("app2", get(turnout, "/"), "no new request goes to app1 through any instance");
            }
        }
        assertEquals(Map.of("a", 0, "b", 0, "c", 0), abc.get(1).control().backend("app", "app1").fleet());
    }

    @Test
    void drainWaitsForTheWholeFleetAndALeavingInstanceStopsCounting() throws Exception {
        List<Turnout> abc = startFleet("inflight", 1);
        RestartableBackend app1 = backends.get(0);
        CompletableFuture<HttpResponse<String>> slow = HTTP.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + abc.get(2).address().getPort() + "/slow")).build(),
                HttpResponse.BodyHandlers.ofString());
        Await.until("the slow request reached app1", () -> app1.slowArrived() == 1);
        Await.until("a sees c's request in flight", () -> abc.get(0).control().backend("app", "app1").inflight() == 1);
        assertEquals(Map.of("a", 0, "b", 0, "c", 1), abc.get(0).control().backend("app", "app1").fleet());

        HttpResponse<String> stillBusy = admin(abc.get(0), "POST", "/api/v1/pools/app/backends/app1/drain?wait=500ms", null);
        assertEquals(202, stillBusy.statusCode(), "c still has a request in flight: " + stillBusy.body());
        assertTrue(stillBusy.body().contains("\"c\":1"), stillBusy.body());

        // c leaves: its lease goes with it, and its request stops counting.
        Turnout c = abc.get(2);
        fleet.remove(c);
        c.close();
        HttpResponse<String> idle = admin(abc.get(0), "POST", "/api/v1/pools/app/backends/app1/drain?wait=5s", null);
        assertEquals(200, idle.statusCode(), idle.body());
        assertTrue(idle.body().contains("\"state\":\"drained\""), idle.body());
        app1.releaseSlow();
        slow.handle((response, error) -> null).join();
    }

    @Test
    void aRollingDeployThroughOneInstanceUnderLoadOverAllThreeFailsNoRequest() throws Exception {
        List<Turnout> abc = startFleet("deploy", 3);
        List<LoadClient> loads = new ArrayList<>();
        try {
            for (Turnout turnout : abc) {
                loads.add(new LoadClient(URI.create("http://127.0.0.1:" + turnout.address().getPort() + "/"), 2));
            }
            Await.until("load on every instance", () -> loads.stream().allMatch(l -> l.sent() > 100));
            long started = System.nanoTime();
            for (RestartableBackend backend : backends) {
                String path = "/api/v1/pools/app/backends/" + backend.id();
                HttpResponse<String> drained = admin(abc.get(0), "POST", path + "/drain?wait=10s", null);
                assertEquals(200, drained.statusCode(), drained.body());
                backend.restart();
                HttpResponse<String> enabled = admin(abc.get(0), "POST", path + "/enable", null);
                assertEquals(200, enabled.statusCode(), enabled.body());
                Await.until(backend.id() + " back in rotation everywhere", PROPAGATION,
                        () -> everywhere(abc, t -> state(t, backend.id()).equals("active")));
            }
            long rolledMillis = (System.nanoTime() - started) / 1_000_000;
            long after = loads.stream().mapToLong(LoadClient::sent).sum();
            Await.until("load after the roll", () -> loads.stream().mapToLong(LoadClient::sent).sum() > after + 300);
            for (LoadClient load : loads) {
                load.close();
            }
            long sent = loads.stream().mapToLong(LoadClient::sent).sum();
            LOAD.info("fleet rolling deploy: 3 backends through instance a, load over 3 instances: {} requests, {} failed, "
                    + "roll took {} ms", sent, loads.stream().mapToLong(l -> l.failures().size()).sum(), rolledMillis);
            for (LoadClient load : loads) {
                assertEquals(List.of(), load.failures(), "failed requests during the roll");
            }
            for (RestartableBackend backend : backends) {
                assertEquals(2, backend.starts(), backend.id() + " was restarted");
            }
        } finally {
            for (LoadClient load : loads) {
                load.close();
            }
        }
    }

    @Test
    void concurrentConflictingChangesOnTwoInstancesEndWithOne409AndOneState() throws Exception {
        List<Turnout> abc = startFleet("conflict", 1);
        String path = "/api/v1/pools/app/backends/app1/weight";
        boolean conflicted = false;
        for (int round = 0; round < 10 && !conflicted; round++) {
            int weightA = 10 + 2 * round;
            int weightB = weightA + 1;
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<HttpResponse<String>> viaA = CompletableFuture.supplyAsync(
                    () -> adminOnSignal(go, abc.get(0), path, "{\"weight\":" + weightA + "}"));
            CompletableFuture<HttpResponse<String>> viaB = CompletableFuture.supplyAsync(
                    () -> adminOnSignal(go, abc.get(1), path, "{\"weight\":" + weightB + "}"));
            go.countDown();
            HttpResponse<String> a = viaA.join();
            HttpResponse<String> b = viaB.join();
            assertTrue(a.statusCode() == 200 || b.statusCode() == 200, "one change always wins: " + a.body() + " " + b.body());
            conflicted = a.statusCode() == 409 || b.statusCode() == 409;
            if (conflicted) {
                HttpResponse<String> loser = a.statusCode() == 409 ? a : b;
                int winner = loser == a ? weightB : weightA;
                assertTrue(loser.body().contains("another instance changed the shared state first"), loser.body());
                assertTrue(loser.body().contains("\"current\":{") && loser.body().contains("\"weight\":" + winner),
                        "the 409 shows the state that won: " + loser.body());
                Await.until("all three agree on weight " + winner, PROPAGATION,
                        () -> everywhere(abc, t -> t.control().backend("app", "app1").weight() == winner));
            } else {
                Await.until("all three agree on one weight", PROPAGATION, () -> abc.stream()
                        .map(t -> t.control().backend("app", "app1").weight()).distinct().count() == 1);
            }
        }
        assertTrue(conflicted, "two changes sent at once on two instances conflicted at least once in 10 rounds");
    }

    @Test
    void withEtcdDownTrafficFlowsAndChangesAreRefusedThenTheFleetConverges() throws Exception {
        List<Turnout> abc = startFleet("outage", 2);
        List<LoadClient> loads = new ArrayList<>();
        try {
            for (Turnout turnout : abc) {
                loads.add(new LoadClient(URI.create("http://127.0.0.1:" + turnout.address().getPort() + "/"), 2));
            }
            Await.until("load on every instance", () -> loads.stream().allMatch(l -> l.sent() > 50));
            etcd.stop();
            try {
                String weight = "/api/v1/pools/app/backends/app2/weight";
                HttpResponse<String> refused = admin(abc.get(0), "PUT", weight, "{\"weight\":3}");
                assertEquals(503, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("{\"error\":\"the shared state store (etcd at"), refused.body());
                Await.until("a says etcd is down in /metrics",
                        () -> metrics(abc.get(0)).contains("turnout_state_store_up 0.0"));
                long during = loads.stream().mapToLong(LoadClient::sent).sum();
                Await.until("traffic flows with etcd down",
                        () -> loads.stream().mapToLong(LoadClient::sent).sum() > during + 300);
                assertEquals(1, abc.get(1).control().backend("app", "app2").weight(), "nothing changed anywhere");
            } finally {
                etcd.start();
            }
            long back = System.nanoTime();
            String weight = "/api/v1/pools/app/backends/app2/weight";
            Await.until("b accepts changes again", Duration.ofSeconds(30),
                    () -> admin(abc.get(1), "PUT", weight, "{\"weight\":4}").statusCode() == 200);
            LOAD.info("fleet: etcd back; changes accepted again after {} ms", (System.nanoTime() - back) / 1_000_000);
            Await.until("the fleet converges on weight 4", Duration.ofSeconds(10),
                    () -> everywhere(abc, t -> t.control().backend("app", "app2").weight() == 4));
            Await.until("a says etcd is up", () -> metrics(abc.get(0)).contains("turnout_state_store_up 1.0"));
            for (LoadClient load : loads) {
                load.close();
                assertEquals(List.of(), load.failures(), "failed requests while etcd was away");
            }
        } finally {
            for (LoadClient load : loads) {
                load.close();
            }
        }
    }

    @Test
    void aRolloutStartedOnAnyInstanceIsJudgedOnceAndItsVerdictsShowEverywhere() throws Exception {
        List<Turnout> abc = startFleet("rollout", "stable { backends = [ " + backendEntries("stable", 1) + "] }\n"
                + "canary { backends = [ " + backendEntries("canary", 1) + "] }", "stable = 100, canary = 0");
        List<LoadClient> loads = new ArrayList<>();
        try {
            for (Turnout turnout : abc) {
                loads.add(new LoadClient(URI.create("http://127.0.0.1:" + turnout.address().getPort() + "/"), 1));
            }
            HttpResponse<String> started = admin(abc.get(2), "POST", "/api/v1/routes/web/rollout", "{\"from\":\"stable\","
                    + "\"to\":\"canary\",\"steps\":[50,100],\"interval\":\"300ms\",\"min-requests\":5,"
                    // loopback latencies are noise: only the mechanism is under test
                    + "\"judge\":\"threshold\",\"max-p95-ratio\":1000}");
            assertEquals(202, started.statusCode(), started.body());
            Await.until("every instance shows the rollout promoted", () -> everywhere(abc,
                    t -> t.control().routes().get(0).split().get("canary") == 100
                            && t.control().rollout("web").state().equals("promoted")));
            for (Turnout turnout : abc) {
                assertEquals(Map.of("stable", 0, "canary", 100), turnout.control().rollout("web").split());
                assertEquals(abc.get(0).control().rollout("web").verdicts(), turnout.control().rollout("web").verdicts(),
                        "one judge: every instance shows the same trail");
            }
        } finally {
            for (LoadClient load : loads) {
                load.close();
            }
        }
    }

    @Test
    void propagationOver100Changes() throws Exception {
        List<Turnout> abc = startFleet("propagation", 1);
        long[] millis = new long[100];
        for (int i = 0; i < millis.length; i++) {
            int weight = 2 + i % 50;
            long start = System.nanoTime();
            HttpResponse<String> set = admin(abc.get(0), "PUT", "/api/v1/pools/app/backends/app1/weight",
                    "{\"weight\":" + weight + "}");
            assertEquals(200, set.statusCode(), set.body());
            Await.until("weight " + weight + " everywhere", PROPAGATION,
                    () -> everywhere(abc, t -> t.control().backend("app", "app1").weight() == weight));
            millis[i] = (System.nanoTime() - start) / 1_000_000;
        }
        Arrays.sort(millis);
        LOAD.info("fleet propagation over {} changes (admin call on a to applied on a, b and c): min {} ms, median {} ms, "
                + "p95 {} ms, max {} ms", millis.length, millis[0], millis[49], millis[94], millis[99]);
        assertTrue(millis[99] < PROPAGATION.toMillis(), "every change applied everywhere within a second");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static boolean everywhere(List<Turnout> turnouts, Predicate<Turnout> condition) {
        return turnouts.stream().allMatch(condition);
    }

    private static String state(Turnout turnout, String id) {
        BackendView view = turnout.control().backend("app", id);
        return view.state();
    }

    private static String get(Turnout turnout, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + turnout.address().getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String metrics(Turnout turnout) {
        return admin(turnout, "GET", "/metrics", null).body();
    }

    private static HttpResponse<String> adminOnSignal(CountDownLatch go, Turnout turnout, String path, String body) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return admin(turnout, "PUT", path, body);
    }

    private static HttpResponse<String> admin(Turnout turnout, String method, String path, String body) {
        return AdminCalls.send(turnout, method, path, body);
    }
}
