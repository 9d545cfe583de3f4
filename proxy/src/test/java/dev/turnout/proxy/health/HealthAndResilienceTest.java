package dev.turnout.proxy.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.admin.BackendView;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Active health checks, retries on another backend and passive ejection, over real sockets. */
class HealthAndResilienceTest {

    private static final String FAST_CHECKS = "health-check { path = \"/health\", interval = 200ms, timeout = 150ms, "
            + "healthy-threshold = 2, unhealthy-threshold = 2 }";

    private static String pool(String extra, String... entries) {
        return "pools { app { backends = [ " + String.join(", ", entries) + " ]\n" + extra + " } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]";
    }

    /** A loopback port nothing listens on: connections to it are refused. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String health(Turnout proxy, String id) {
        return proxy.control().backend("app", id).health();
    }

    @Test
    void aHangingBackendIsMarkedDownSkippedAndComesBackAfterGoodProbes() throws Exception {
        AtomicReference<Reply> hangingReply = new AtomicReference<>(Reply.stall());
        try (FakeBackend good = FakeBackend.start(Reply.ok("good"));
                FakeBackend hanging = FakeBackend.start(request -> hangingReply.get());
                Turnout proxy = TestProxy.start(pool(FAST_CHECKS + "\nslow-start = 60s", TestProxy.backend("good", good, 1),
                        TestProxy.backend("hanging", hanging, 1)));
                RawClient client = RawClient.connect(proxy.address())) {
            long started = System.nanoTime();
            Await.until("the hanging backend to be marked down", Duration.ofSeconds(10),
                    () -> health(proxy, "hanging").equals("down"));
            long downMillis = (System.nanoTime() - started) / 1_000_000;
            // Each backend's first probe falls at a random point of the first interval, so the good one
            // can still be waiting for its second success when the hanging one is marked down.
            Await.until("the good backend to be marked up", Duration.ofSeconds(10), () -> health(proxy, "good").equals("up"));

            for (int i = 0; i < 10; i++) {
                assertEquals("good", client.get("a.test", "/" + i).bodyText(), "a down backend gets no request");
            }

            hangingReply.set(Reply.ok("recovered"));
            long recovering = System.nanoTime();
            Await.until("the backend to come back up", Duration.ofSeconds(10), () -> health(proxy, "hanging").equals("up"));
            LoggerFactory.getLogger("turnout.test.load").info("hanging backend: marked down {} ms after start, up again {} ms"
                    + " after it recovered (interval 200 ms, timeout 150 ms, thresholds 2)", downMillis,
                    (System.nanoTime() - recovering) / 1_000_000);
            Map<String, Integer> served = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                served.merge(client.get("a.test", "/back").bodyText(), 1, Integer::sum);
            }
            // Slow start: for the first 6 s of its 60 s ramp it has 5 % of its weight, 1 pick in 21.
            assertTrue(served.getOrDefault("recovered", 0) <= 2, "ramping, not flooded: " + served);
            assertTrue(served.get("good") >= 18, served.toString());
        }
    }

    @Test
    void aBackendAddedAtRuntimeWaitsUntilItIsHealthy() throws Exception {
        try (FakeBackend first = FakeBackend.start(Reply.ok("first"));
                FakeBackend added = FakeBackend.start(Reply.ok("added"));
                Turnout proxy = TestProxy.start(pool(FAST_CHECKS, TestProxy.backend("first", first, 1)));
                RawClient client = RawClient.connect(proxy.address())) {
            BackendView view = proxy.control().addBackend("app", "added", added.address(), 1).after();

            assertEquals("unknown", view.health());
            assertEquals("first", client.get("a.test", "/").bodyText(), "no traffic before the first healthy result");
            Await.until("the added backend to be up", Duration.ofSeconds(10), () -> health(proxy, "added").equals("up"));
            Map<String, Integer> served = new HashMap<>();
            for (int i = 0; i < 4; i++) {
                served.merge(client.get("a.test", "/").bodyText(), 1, Integer::sum);
            }
            assertEquals(Map.of("first", 2, "added", 2), served);
        }
    }

    @Test
    void aRefusedConnectionIsRetriedOnAnotherBackend() throws Exception {
        int closedPort = closedPort();
        try (FakeBackend good = FakeBackend.start(Reply.ok("good"));
                // No ejection at all, so that the dead backend keeps being picked.
                Turnout proxy = TestProxy.start(pool("passive-ejection { consecutive-failures = 0, max-ejection-percent = 0 }",
                        TestProxy.backend("gone", "127.0.0.1:" + closedPort, 1), TestProxy.backend("good", good, 1)));
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 10; i++) {
                assertEquals(200, client.get("a.test", "/" + i).status(), "every GET is answered");
            }
            assertEquals(10, good.requestCount());

            // A refused connection means the request never left: even a POST with a body goes elsewhere.
            Map<Integer, Integer> statuses = new HashMap<>();
            for (int i = 0; i < 10; i++) {
                client.send("POST /p HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\nhi");
                statuses.merge(client.readResponse().status(), 1, Integer::sum);
            }
            assertEquals(Map.of(200, 10), statuses);
            assertEquals(20, good.requestCount());
            assertTrue(good.requests().stream().filter(r -> r.method().equals("POST")).allMatch(r -> r.bodyLength() == 2),
                    "each POST arrived with its body");
        }
    }

    @Test
    void aRetryGoesToABackendNotTriedYet() throws Exception {
        int[] closedPorts = {closedPort(), closedPort()};
        try (FakeBackend good = FakeBackend.start(Reply.ok("good"));
                Turnout proxy = TestProxy.start(pool("passive-ejection { consecutive-failures = 0, max-ejection-percent = 0 }",
                        TestProxy.backend("gone1", "127.0.0.1:" + closedPorts[0], 1),
                        TestProxy.backend("gone2", "127.0.0.1:" + closedPorts[1], 1), TestProxy.backend("good", good, 1)));
                RawClient client = RawClient.connect(proxy.address())) {
            // Two retries and two dead backends: only a retry that never goes back to one tried
            // already reaches the good backend every time.
            for (int i = 0; i < 30; i++) {
                assertEquals(200, client.get("a.test", "/" + i).status(), "request " + i);
            }
            assertEquals(30, good.requestCount());
        }
    }

    @Test
    void aGetWhoseBackendClosedBeforeAnsweringGoesElsewhereAndAPostDoesNot() throws Exception {
        try (FakeBackend closing = FakeBackend.start(Reply.closeAfterRequest());
                FakeBackend good = FakeBackend.start(Reply.ok("good"));
                Turnout proxy = TestProxy.start(pool("passive-ejection.consecutive-failures = 0",
                        TestProxy.backend("closing", closing, 1), TestProxy.backend("good", good, 1)));
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 10; i++) {
                assertEquals("good", client.get("a.test", "/" + i).bodyText());
            }
            int closedGets = closing.requestCount();
            assertTrue(closedGets >= 5, "GETs reached the closing backend first: " + closedGets);
            assertEquals(10, good.requestCount());

            Map<Integer, Integer> statuses = new HashMap<>();
            for (int i = 0; i < 10; i++) {
                client.send("POST /p HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\nhi");
                statuses.merge(client.readResponse().status(), 1, Integer::sum);
            }
            assertEquals(Map.of(200, 5, 502, 5), statuses, "a POST that reached a backend is never sent twice");
            assertEquals(closedGets + 5, closing.requestCount());
            assertEquals(15, good.requestCount());
        }
    }

    @Test
    void aRouteMayNarrowItsRetryMethods() throws Exception {
        try (FakeBackend closing = FakeBackend.start(Reply.closeAfterRequest());
                FakeBackend good = FakeBackend.start(Reply.ok("good"));
                Turnout proxy = TestProxy.start("pools { app { backends = [ " + TestProxy.backend("closing", closing, 1)
                        + ", " + TestProxy.backend("good", good, 1) + " ]\npassive-ejection.consecutive-failures = 0 } }\n"
                        + "routes = [ { name = web, split { app = 100 }, retry-methods = [GET] } ]");
                RawClient client = RawClient.connect(proxy.address())) {
            Map<Integer, Integer> statuses = new HashMap<>();
            for (int i = 0; i < 10; i++) {
                client.send("DELETE /item/" + i + " HTTP/1.1\r\nHost: a.test\r\n\r\n");
                statuses.merge(client.readResponse().status(), 1, Integer::sum);
            }
            assertEquals(Map.of(200, 5, 502, 5), statuses, "DELETE is not in this route's retry-methods");
            assertEquals("good", client.get("a.test", "/get").bodyText());
        }
    }

    @Test
    void aBackendThatRefusesAConnectionLeavesRotationAtOnce() throws Exception {
        int closedPort = closedPort();
        try (FakeBackend good = FakeBackend.start(Reply.ok("good"));
                Turnout proxy = TestProxy.start(pool("passive-ejection { consecutive-failures = 5, base-time = 30s }",
                        TestProxy.backend("gone", "127.0.0.1:" + closedPort, 1), TestProxy.backend("good", good, 1)));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("a.test", "/first").status(), "refused, then answered by the other backend");
            Await.until("the refusing backend to be ejected", () -> ejected(proxy, "gone"));
            assertEquals(false, ejected(proxy, "good"));
            for (int i = 0; i < 10; i++) {
                assertEquals("good", client.get("a.test", "/" + i).bodyText());
            }
            assertEquals(11, good.requestCount());
            assertTrue(proxy.control().backend("app", "gone").inflight() == 0);
        }
    }

    @Test
    void repeatedFailuresEjectABackendButNeverMoreThanTheCap() throws Exception {
        try (FakeBackend good = FakeBackend.start(Reply.ok("good"));
                FakeBackend broken1 = FakeBackend.start(Reply.status(500, "broken"));
                FakeBackend broken2 = FakeBackend.start(Reply.status(500, "broken"));
                Turnout proxy = TestProxy.start(pool("passive-ejection { consecutive-failures = 3, base-time = 30s, "
                        + "max-ejection-percent = 34 }", TestProxy.backend("good", good, 1),
                        TestProxy.backend("broken1", broken1, 1), TestProxy.backend("broken2", broken2, 1)));
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 30; i++) {
                client.get("a.test", "/" + i);
            }
            Await.until("a broken backend to be ejected", () -> ejected(proxy, "broken1") || ejected(proxy, "broken2"));
            assertEquals(false, ejected(proxy, "good"));
            assertTrue(ejected(proxy, "broken1") != ejected(proxy, "broken2"), "34% of 3 backends: only one is ejected");
            Map<String, Integer> served = new HashMap<>();
            for (int i = 0; i < 30; i++) {
                served.merge(client.get("a.test", "/after").bodyText(), 1, Integer::sum);
            }
            assertEquals(Map.of("good", 15, "broken", 15), served, "the other broken backend stays in rotation");
        }
    }

    private static boolean ejected(Turnout proxy, String id) {
        return proxy.control().backend("app", id).ejected();
    }

    @Test
    void aBackendAtItsConnectionLimitSendsRequestsElsewhereOr503sRatherThanQueue() throws Exception {
        try (FakeBackend stuck = FakeBackend.start(Reply.stall());
                FakeBackend free = FakeBackend.start(Reply.ok("free"));
                Turnout proxy = TestProxy.start("timeouts.request = 30s\n" + pool("max-connections = 1",
                        TestProxy.backend("stuck", stuck, 1), TestProxy.backend("free", free, 1)));
                RawClient hung = RawClient.connect(proxy.address());
                RawClient client = RawClient.connect(proxy.address())) {
            hung.send("GET /hang HTTP/1.1\r\nHost: a.test\r\n\r\n");
            stuck.awaitRequest(0);

            for (int i = 0; i < 6; i++) {
                assertEquals("free", client.get("a.test", "/" + i).bodyText(), "moved to the backend with room");
            }
            assertEquals(1, stuck.connectionCount(), "no second connection to the backend at its limit");
            assertEquals(1, free.connectionCount());
        }
    }

    @Test
    void aPoolWhoseBackendsAreAllAtTheirLimitAnswers503AtOnce() throws Exception {
        try (FakeBackend stuck = FakeBackend.start(Reply.stall());
                Turnout proxy = TestProxy.start("timeouts.request = 30s\n" + pool("max-connections = 1",
                        TestProxy.backend("stuck", stuck, 1)));
                RawClient hung = RawClient.connect(proxy.address());
                RawClient client = RawClient.connect(proxy.address())) {
            hung.send("GET /hang HTTP/1.1\r\nHost: a.test\r\n\r\n");
            stuck.awaitRequest(0);

            var response = client.get("a.test", "/more");

            assertEquals(503, response.status());
            assertTrue(response.bodyText().contains("connection limit"), response.bodyText());
            assertEquals(1, stuck.connectionCount());
        }
    }

    @Test
    void withEveryBackendDownThePoolAnswers503AtOnce() throws Exception {
        try (FakeBackend hanging1 = FakeBackend.start(Reply.stall());
                FakeBackend hanging2 = FakeBackend.start(Reply.stall());
                Turnout proxy = TestProxy.start("timeouts.request = 30s\n" + pool(FAST_CHECKS,
                        TestProxy.backend("h1", hanging1, 1), TestProxy.backend("h2", hanging2, 1)));
                RawClient client = RawClient.connect(proxy.address())) {
            Await.until("both backends to be down", Duration.ofSeconds(10),
                    () -> health(proxy, "h1").equals("down") && health(proxy, "h2").equals("down"));

            assertEquals(503, client.get("a.test", "/").status(), "no queuing behind dead backends: 503 now");
        }
    }
}
