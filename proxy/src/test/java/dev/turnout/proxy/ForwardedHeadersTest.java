package dev.turnout.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/** What the backend sees of the client's request: forwarding headers added, hop-by-hop headers gone. */
class ForwardedHeadersTest {

    @Test
    void forwardingHeadersReachTheBackend() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("shop.example:8080", "/cart?x=1").status());
            RecordedRequest r = backend.awaitRequest(0);
            assertEquals("/cart?x=1", r.uri());
            assertEquals("127.0.0.1", r.header("X-Forwarded-For"));
            assertEquals("http", r.header("X-Forwarded-Proto"));
            assertEquals("shop.example:8080", r.header("X-Forwarded-Host"));
            assertEquals("shop.example:8080", r.header("Host"), "the client's Host is passed on");
            assertTrue(r.header("X-Request-Id").matches("[0-9a-f]{32}"), r.header("X-Request-Id"));
        }
    }

    /** From a client that is not a trusted proxy, X-Forwarded-For could be forged: the backend gets the client alone. */
    @Test
    void anUntrustedClientsForwardedForIsReplacedByItsAddress() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nHost: a.test\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.2\r\n"
                    + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: spoofed.test\r\n\r\n");
            assertEquals(200, client.readResponse().status());
            RecordedRequest r = backend.awaitRequest(0);
            assertEquals("127.0.0.1", r.header("X-Forwarded-For"));
            assertEquals(1, r.headers().getAll("X-Forwarded-For").size());
            assertEquals("http", r.header("X-Forwarded-Proto"), "the proxy says how it was reached");
            assertEquals("a.test", r.header("X-Forwarded-Host"));
        }
    }

    @Test
    void aTrustedProxysForwardedForIsKeptAndTheProxyAppended() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + "\ntrusted-proxies = [\"127.0.0.0/8\"]");
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nHost: a.test\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.2\r\n\r\n");
            assertEquals(200, client.readResponse().status());
            assertEquals("203.0.113.7, 10.0.0.2, 127.0.0.1", backend.awaitRequest(0).header("X-Forwarded-For"));
        }
    }

    /** Several X-Forwarded-For lines are one comma-separated list (RFC 9110 5.3): none may be lost. */
    @Test
    void repeatedForwardedForLinesFromATrustedProxyAreAllKept() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + "\ntrusted-proxies = [\"127.0.0.1\"]");
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nHost: a.test\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "X-Forwarded-For: 198.51.100.9\r\n\r\n");
            assertEquals(200, client.readResponse().status());
            RecordedRequest r = backend.awaitRequest(0);
            assertEquals("203.0.113.7, 198.51.100.9, 127.0.0.1", String.join(", ", r.headers().getAll("X-Forwarded-For")));
        }
    }

    @Test
    void requestIdIsKeptWhenTheClientSentOneAndNewForEachRequestOtherwise() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /1 HTTP/1.1\r\nHost: a.test\r\nX-Request-Id: trace-abc-123\r\n\r\n");
            assertEquals(200, client.readResponse().status());
            assertEquals(200, client.get("a.test", "/2").status());
            assertEquals(200, client.get("a.test", "/3").status());
            assertEquals("trace-abc-123", backend.awaitRequest(0).header("X-Request-Id"));
            String second = backend.awaitRequest(1).header("X-Request-Id");
            String third = backend.awaitRequest(2).header("X-Request-Id");
            assertTrue(second.matches("[0-9a-f]{32}"), second);
            assertTrue(third.matches("[0-9a-f]{32}"), third);
            assertNotEquals(second, third);
            assertEquals(1, backend.awaitRequest(2).headers().getAll("X-Request-Id").size());
        }
    }

    @Test
    void hopByHopHeadersAreNotForwarded() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nHost: a.test\r\n"
                    + "Connection: keep-alive, X-Session-Hop, Upgrade\r\n"
                    + "Keep-Alive: timeout=5\r\n"
                    + "TE: trailers\r\n"
                    + "Upgrade: h2c\r\n"
                    + "Proxy-Connection: keep-alive\r\n"
                    + "X-Session-Hop: secret\r\n"
                    + "X-End-To-End: kept\r\n"
                    + "\r\n");
            RawResponse response = client.readResponse();
            assertEquals(200, response.status());
            RecordedRequest r = backend.awaitRequest(0);
            for (String hop : new String[] {"Connection", "Keep-Alive", "TE", "Upgrade", "Proxy-Connection", "X-Session-Hop"}) {
                assertNull(r.header(hop), hop + " must not be forwarded: " + r.headers());
            }
            assertEquals("kept", r.header("X-End-To-End"));
            assertEquals("HTTP/1.1", r.protocol());
        }
    }

    /** Two Connection lines are one list (RFC 9110 5.3): what the second names is hop-by-hop as well. */
    @Test
    void headersNamedInASecondConnectionLineAreNotForwarded() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive\r\nConnection: X-Secret-Hop\r\n"
                    + "X-Secret-Hop: internal\r\n\r\n");
            assertEquals(200, client.readResponse().status());
            RecordedRequest r = backend.awaitRequest(0);
            assertNull(r.header("X-Secret-Hop"), () -> "forwarded: " + r.headers());
            assertNull(r.header("Connection"));
        }
    }

    @Test
    void connectionNamingContentLengthDoesNotStripTheBodyLength() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "got " + r.bodyText()));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a.test\r\nConnection: content-length, transfer-encoding, host\r\n"
                    + "Content-Length: 11\r\n\r\nhello world");
            RawResponse first = client.readResponse();
            assertEquals("got hello world", first.bodyText());
            // the backend connection was not desynchronised: a second request on it works
            assertEquals("got ", client.get("a.test", "/next").bodyText());
            RecordedRequest r = backend.awaitRequest(0);
            assertEquals("11", r.header("Content-Length"));
            assertEquals("a.test", r.header("Host"));
            assertEquals(1, backend.connectionCount());
            assertEquals("/next", backend.awaitRequest(1).uri());
        }
    }

    @Test
    void connectionNamingTransferEncodingKeepsAChunkedBodyIntact() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "got " + r.bodyText()));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a.test\r\nConnection: transfer-encoding\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            assertEquals("got hello world", client.readResponse().bodyText());
            assertEquals("got ", client.get("a.test", "/next").bodyText());
            assertEquals(1, backend.connectionCount());
        }
    }

    @Test
    void hopByHopHeadersOfTheResponseAreNotForwarded() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x")
                    .header("Connection", "X-Backend-Hop")
                    .header("Keep-Alive", "timeout=30")
                    .header("X-Backend-Hop", "internal")
                    .header("X-Backend-Kept", "yes"));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("a.test", "/");
            assertEquals(200, r.status());
            assertFalse(r.hasHeader("X-Backend-Hop"), r::toString);
            assertFalse(r.hasHeader("Keep-Alive"), r::toString);
            assertEquals("yes", r.header("X-Backend-Kept"));
        }
    }
}
