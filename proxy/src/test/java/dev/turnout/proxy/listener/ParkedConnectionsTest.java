package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.ProxyProtocolHeaders;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.channel.epoll.Epoll;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Plain HTTP/1.1 keep-alive connections parked after a second of quiet between requests, on real
 * sockets: each comes back for its next request as if it had never left, and is closed as any idle
 * connection is. A connection in the middle of something is never parked: a witness connection served
 * after it went quiet shows, once parked itself, that the quiet check has passed it by.
 */
class ParkedConnectionsTest {

    @BeforeAll
    static void onlyWhereConnectionsCanBeParked() {
        assumeTrue(Epoll.isAvailable(), "parking needs Netty's epoll transport");
    }

    private static String config(FakeBackend backend, String more) {
        return more + "\n" + TestProxy.singlePool(backend);
    }

    /** Route /slow to {@code slow}, everything else to {@code fast}. */
    private static String slowAndFast(FakeBackend slow, FakeBackend fast) {
        return "pools { slow { backends = [ " + TestProxy.backend("s", slow, 1) + " ] }, "
                + "fast { backends = [ " + TestProxy.backend("f", fast, 1) + " ] } }\n"
                + "routes = [ { name = slow, path-prefix = \"/slow\", split { slow = 100 } }, "
                + "{ name = rest, path-prefix = \"/\", split { fast = 100 } } ]";
    }

    /** Active and parked client connections, from one scrape. */
    private static int[] clients(Turnout proxy) {
        String text = AdminCalls.send(proxy, "GET", "/metrics", null).body();
        int[] counts = new int[2];
        String[] states = {"active", "parked"};
        for (int i = 0; i < 2; i++) {
            Matcher m = Pattern.compile("(?m)^turnout_client_connections\\{state=\"" + states[i] + "\"} ([0-9.]+)$")
                    .matcher(text);
            assertTrue(m.find(), "turnout_client_connections{state=" + states[i] + "} in\n" + text);
            counts[i] = (int) Double.parseDouble(m.group(1));
        }
        return counts;
    }

    private static void awaitClients(Turnout proxy, int active, int parked) {
        Await.until(active + " active and " + parked + " parked client connections", () -> {
            int[] counts = clients(proxy);
            return counts[0] == active && counts[1] == parked;
        });
    }

    @Test
    void aQuietKeepAliveConnectionIsParkedAndItsNextRequestIsServedOnIt() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> r.uri() + " from " + r.header("X-Forwarded-For")));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("/1 from 127.0.0.1", client.get("a.test", "/1").bodyText());
            awaitClients(proxy, 0, 1);
            for (int i = 2; i <= 3; i++) {
                RawResponse r = client.get("a.test", "/" + i);
                assertEquals(200, r.status(), r::toString);
                assertEquals("/" + i + " from 127.0.0.1", r.bodyText());
                int[] counts = clients(proxy);
                assertEquals(1, counts[0] + counts[1], "one connection, active or parked");
                awaitClients(proxy, 0, 1);
            }
            assertEquals(3, backend.requestCount());
            client.close();
            awaitClients(proxy, 0, 0);
        }
    }

    @Test
    void aParkedConnectionKeepsTheClientItsProxyHeaderNamed() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> r.header("X-Forwarded-For")));
                Turnout proxy = TestProxy.start(config(backend, "proxy-protocol = true"));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send(ProxyProtocolHeaders.then(ProxyProtocolHeaders.v1("198.51.100.7", "192.0.2.1", 51000, 80),
                    "GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\n"));
            assertEquals("198.51.100.7", client.readResponse().bodyText());
            awaitClients(proxy, 0, 1);
            assertEquals("198.51.100.7", client.get("a.test", "/2").bodyText(),
                    "no second PROXY header is read, and the first one's client stands");
        }
    }

    @Test
    void aParkedConnectionIsClosedAtItsIdleTimeout() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(config(backend, "timeouts.idle = 3s"));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("a.test", "/").status());
            awaitClients(proxy, 0, 1);
            client.readUntilClosed();
            awaitClients(proxy, 0, 0);
        }
    }

    @Test
    void parkedConnectionsCountAgainstTheConnectionLimit() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(config(backend, "limits.connections = 1"));
                RawClient first = RawClient.connect(proxy.address())) {
            assertEquals(200, first.get("a.test", "/").status());
            awaitClients(proxy, 0, 1);
            try (RawClient second = RawClient.connect(proxy.address())) {
                assertEquals(503, second.readResponse().status(), "the parked connection holds the only place");
            }
            assertEquals(200, first.get("a.test", "/again").status());
        }
    }

    @Test
    void shutdownClosesParkedConnectionsAtOnceWhileRequestsInFlightFinish() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        try (FakeBackend slow = FakeBackend.start(Reply.ok("slow").after(gate));
                FakeBackend fast = FakeBackend.start();
                Turnout proxy = TestProxy.start("shutdown.grace = 30s\n" + slowAndFast(slow, fast))) {
            try (RawClient idle = RawClient.connect(proxy.address());
                    RawClient busy = RawClient.connect(proxy.address())) {
                assertEquals(200, idle.get("a.test", "/").status());
                awaitClients(proxy, 1, 1); // busy has sent nothing yet: a connection that never did is not parked
                busy.send("GET /slow HTTP/1.1\r\nHost: a.test\r\n\r\n");
                slow.awaitRequest(0);
                CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(() -> {
                    try {
                        return proxy.shutdown(Duration.ofSeconds(30));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                idle.readUntilClosed();
                assertFalse(stopped.isDone(), "the parked connection was closed while the grace still runs for /slow");
                gate.complete(null);
                assertEquals("slow", busy.readResponse().bodyText());
                assertTrue(stopped.get(30, TimeUnit.SECONDS), "every connection closed within the grace");
                assertTrue(proxy.shutdown(Duration.ZERO), "a later shutdown returns the first one's answer");
            }
        }
    }

    @Test
    void aParkedConnectionServesPipelinedRequestsAndHttp10KeepAlive() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(RecordedRequest::uri));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient pipelining = RawClient.connect(proxy.address());
                RawClient old = RawClient.connect(proxy.address())) {
            assertEquals("/0", pipelining.get("a.test", "/0").bodyText());
            old.send("GET /old0 HTTP/1.0\r\nHost: a.test\r\nConnection: keep-alive\r\n\r\n");
            assertEquals("/old0", old.readResponse().bodyText());
            awaitClients(proxy, 0, 2);
            pipelining.send("GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertEquals("/1", pipelining.readResponse().bodyText());
            assertEquals("/2", pipelining.readResponse().bodyText());
            old.send("GET /old1 HTTP/1.0\r\nHost: a.test\r\nConnection: keep-alive\r\n\r\n");
            RawResponse r = old.readResponse();
            assertEquals("/old1", r.bodyText());
            assertEquals("keep-alive", String.valueOf(r.header("Connection")).toLowerCase());
        }
    }

    @Test
    void aConnectionWithARequestInFlightOrHalfAHeadIsNotParked() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        try (FakeBackend slow = FakeBackend.start(Reply.ok("slow").after(gate));
                FakeBackend fast = FakeBackend.start(Reply.answer(r -> r.uri()));
                Turnout proxy = TestProxy.start("timeouts { request = 30s, header-read = 30s }\n" + slowAndFast(slow, fast));
                RawClient waiting = RawClient.connect(proxy.address());
                RawClient halfHead = RawClient.connect(proxy.address());
                RawClient witness = RawClient.connect(proxy.address())) {
            waiting.send("GET /slow HTTP/1.1\r\nHost: a.test\r\n\r\n");
            slow.awaitRequest(0);
            halfHead.send("GET /half HTTP/1.1\r\nHo");
            assertEquals("/w", witness.get("a.test", "/w").bodyText());
            // The witness went quiet last: once it is parked, the other two have been looked at, and stayed.
            awaitClients(proxy, 2, 1);
            gate.complete(null);
            assertEquals("slow", waiting.readResponse().bodyText());
            halfHead.send("st: a.test\r\n\r\n");
            assertEquals("/half", halfHead.readResponse().bodyText());
            assertEquals(2, fast.requestCount());
        }
    }
}
