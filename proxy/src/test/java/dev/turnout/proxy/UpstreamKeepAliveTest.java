package dev.turnout.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * Backend connections are kept and reused across requests and across client connections (the
 * pool is per event loop; these proxies run one), and dropped when they cannot be reused.
 */
class UpstreamKeepAliveTest {

    @Test
    void sequentialRequestsOnOneClientConnectionShareOneBackendConnection() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> r.uri()));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 20; i++) {
                RawResponse r = client.get("a.test", "/" + i);
                assertEquals("/" + i, r.bodyText());
                assertFalse(r.closes());
            }
            assertEquals(20, backend.requestCount());
            assertEquals(1, backend.connectionCount());
        }
    }

    @Test
    void drainingABackendClosesItsIdleConnectionsAndEnablingOpensNewOnes() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("a.test", "/warm").status());
            assertEquals(1, backend.openConnectionCount());

            proxy.control().drain("app", "b0");

            Await.until("the idle backend connection to close", () -> backend.openConnectionCount() == 0);
            assertEquals(503, client.get("a.test", "/drained").status(), "a drained backend takes no request");
            proxy.control().enable("app", "b0");
            assertEquals(200, client.get("a.test", "/again").status());
            assertEquals(2, backend.connectionCount(), "a fresh connection after the drain");
        }
    }

    @Test
    void requestsOnSeparateClientConnectionsShareOneBackendConnection() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> r.uri()));
                Turnout proxy = TestProxy.start(backend)) {
            for (int i = 0; i < 20; i++) {
                try (RawClient client = RawClient.connect(proxy.address())) {
                    // "Connection: close" is the client's hop: it must not close the backend connection.
                    client.send("GET /" + i + " HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
                    RawResponse r = client.readResponse();
                    assertEquals("/" + i, r.bodyText());
                    assertTrue(r.closes());
                    assertTrue(client.isClosedByPeer());
                }
            }
            assertEquals(20, backend.requestCount());
            assertEquals(1, backend.connectionCount());
            assertEquals(1, backend.openConnectionCount());
        }
    }

    @Test
    void requestsWithBodiesAndChunkedAnswersReuseTheConnection() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> r.method() + " " + r.bodyText()).chunked());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 5; i++) {
                client.send("POST /p HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\n\r\nbody");
                assertEquals("POST body", client.readResponse().bodyText());
                client.send("PUT /p HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nch\r\n0\r\n\r\n");
                assertEquals("PUT ch", client.readResponse().bodyText());
            }
            assertEquals(1, backend.connectionCount());
        }
    }

    @Test
    void bodylessAnswersDoNotDesynchroniseTheConnections() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "body of " + r.uri()));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("HEAD /h HTTP/1.1\r\nHost: a.test\r\n\r\n");
            RawResponse head = client.readResponse(true, true);
            assertEquals(200, head.status());
            assertEquals(String.valueOf("body of /h".length()), head.header("Content-Length"));
            assertEquals("body of /g", client.get("a.test", "/g").bodyText());
            backend.enqueue(Reply.status(204, ""), Reply.status(304, "").header("ETag", "\"v1\""));
            assertEquals(204, client.get("a.test", "/nothing").status());
            assertEquals(304, client.get("a.test", "/cached").status());
            assertEquals("body of /after", client.get("a.test", "/after").bodyText());
            assertEquals(1, backend.connectionCount());
        }
    }

    @Test
    void backendSayingConnectionCloseIsNotReused() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("bye").header("Connection", "close").thenClose());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse first = client.get("a.test", "/1");
            assertEquals("bye", first.bodyText());
            assertFalse(first.closes(), "the backend's Connection: close is its own hop, not the client's");
            assertEquals("bye", client.get("a.test", "/2").bodyText());
            assertEquals(2, backend.connectionCount());
        }
    }

    @Test
    void earlyAnswerBeforeTheBodyEndsClosesBothConnections() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.status(413, "too big").beforeBody());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000));
            RawResponse r = client.readResponse();
            assertEquals(413, r.status());
            assertEquals("too big", r.bodyText());
            assertTrue(r.closes(), "the rest of the body cannot be read as a next request: " + r);
            assertTrue(client.isClosedByPeer());
            Await.until("the half-fed backend connection to close", () -> backend.isClosed(1));
            assertFalse(backend.awaitRequest(0).complete());
        }
    }

    @Test
    void clientVanishingMidRequestDropsTheBackendConnection() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend)) {
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send("POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\nonly ten.");
                Await.until("the partial body to reach the backend", () -> backend.requestCount() == 1
                        && backend.requests().get(0).bodyLength() == 9);
            }
            Await.until("the backend connection to close", () -> backend.isClosed(1));
            assertFalse(backend.requests().get(0).complete());
            // and a new client is served on a new backend connection
            try (RawClient client = RawClient.connect(proxy.address())) {
                assertEquals(200, client.get("a.test", "/").status());
            }
            assertEquals(2, backend.connectionCount());
        }
    }

    /**
     * A backend may close an idle keep-alive connection just as the proxy reuses it. A request
     * without a body that met such a close before any answer is retried once, on a new connection.
     */
    @Test
    void bodylessRequestOnAReusedConnectionClosedUnderItIsRetriedOnAFreshOne() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "fresh " + r.uri()));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            backend.enqueue(Reply.ok("first"), Reply.closeAfterRequest());
            assertEquals("first", client.get("a.test", "/1").bodyText());
            RawResponse r = client.get("a.test", "/2");
            assertEquals(200, r.status(), r::toString);
            assertEquals("fresh /2", r.bodyText());
            assertEquals(3, backend.requestCount());
            assertEquals(1, backend.requests().get(1).connectionId());
            assertEquals(2, backend.requests().get(2).connectionId());
            assertEquals("/2", backend.requests().get(2).uri());
        }
    }

    @Test
    void requestWithABodyIsNotReplayedWhenItsReusedConnectionCloses() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            backend.enqueue(Reply.ok("first"), Reply.closeAfterRequest());
            assertEquals("first", client.get("a.test", "/1").bodyText());
            client.send("POST /pay HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\n$10");
            RawResponse r = client.readResponse();
            assertEquals(502, r.status(), r::toString);
            assertEquals(2, backend.requestCount(), "a request with a body is never sent twice");
        }
    }

    @Test
    void aRetriedRequestIsRetriedOnlyOnce() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            backend.enqueue(Reply.ok("first"), Reply.closeAfterRequest(), Reply.closeAfterRequest());
            assertEquals("first", client.get("a.test", "/1").bodyText());
            RawResponse r = client.get("a.test", "/2");
            assertEquals(502, r.status(), r::toString);
            assertEquals(3, backend.requestCount());
        }
    }
}
