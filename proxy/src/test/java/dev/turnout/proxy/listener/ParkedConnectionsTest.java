package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.ProxyProtocolHeaders;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Plain HTTP/1.1 keep-alive connections parked after a second of quiet between requests, on real
 * sockets: each comes back for its next request as if it had never left, and is closed as any idle
 * connection is. A connection in the middle of something is never parked: a witness connection served
 * after it went quiet shows, once parked itself, that the quiet check has passed it by.
 */
class ParkedConnectionsTest {

    private static String config(FakeBackend backend, String more) {
        return more + "\n" + TestProxy.singlePool(backend);
    }

    private static int clients(Turnout proxy, String state) {
        String text = AdminCalls.send(proxy, "GET", "/metrics", null).body();
        Matcher m = Pattern.compile("(?m)^turnout_client_connections\\{state=\"" + state + "\"} ([0-9.]+)$").matcher(text);
        assertTrue(m.find(), "turnout_client_connections{state=" + state + "} in\n" + text);
        return (int) Double.parseDouble(m.group(1));
    }

    private static void awaitClients(Turnout proxy, int active, int parked) {
        Await.until(active + " active and " + parked + " parked client connections",
                () -> clients(proxy, "active") == active && clients(proxy, "parked") == parked);
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
                assertEquals(1, clients(proxy, "active") + clients(proxy, "parked"));
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
    void shutdownClosesParkedConnections() throws Exception {
        try (FakeBackend backend = FakeBackend.start()) {
            Turnout proxy = TestProxy.start(config(backend, "shutdown.grace = 30s"));
            try (RawClient client = RawClient.connect(proxy.address())) {
                assertEquals(200, client.get("a.test", "/").status());
                awaitClients(proxy, 0, 1);
                assertTrue(proxy.shutdown(Duration.ofSeconds(30)), "nothing was left open at the grace's end");
                client.readUntilClosed();
            }
        }
    }

    @Test
    void aConnectionWithARequestInFlightOrHalfAHeadIsNotParked() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        try (FakeBackend slow = FakeBackend.start(Reply.ok("slow").after(gate));
                FakeBackend fast = FakeBackend.start(Reply.answer(r -> r.uri()));
                Turnout proxy = TestProxy.start("timeouts { request = 30s, header-read = 30s }\n"
                        + "pools { slow { backends = [ " + TestProxy.backend("s", slow, 1) + " ] }, "
                        + "fast { backends = [ " + TestProxy.backend("f", fast, 1) + " ] } }\n"
                        + "routes = [ { name = slow, path-prefix = \"/slow\", split { slow = 100 } }, "
                        + "{ name = rest, path-prefix = \"/\", split { fast = 100 } } ]");
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
