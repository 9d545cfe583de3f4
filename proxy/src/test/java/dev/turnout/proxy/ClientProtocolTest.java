package dev.turnout.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** HTTP versions, Host, Expect: 100-continue and interim answers, as a client sees them. */
class ClientProtocolTest {

    @Test
    void http10ClientWithoutKeepAliveGetsItsAnswerAndTheConnectionCloses() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("old but fine"));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /legacy HTTP/1.0\r\n\r\n");
            RawResponse r = client.readResponse();
            assertEquals(200, r.status(), r::toString);
            assertEquals("old but fine", r.bodyText());
            assertTrue(client.isClosedByPeer(), "an HTTP/1.0 exchange without keep-alive ends with the connection");
            RecordedRequest seen = backend.awaitRequest(0);
            assertEquals("HTTP/1.1", seen.protocol());
            assertEquals(backend.address(), seen.header("Host"), "a Host-less request names the backend");
            assertNull(seen.header("X-Forwarded-Host"));
        }
    }

    @Test
    void http10ClientNeverGetsAChunkedBody() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("streamed without a length").chunked());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /stream HTTP/1.0\r\nHost: a.test\r\n\r\n");
            byte[] all = client.readUntilClosed();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1."), text);
            String head = text.substring(0, text.indexOf("\r\n\r\n")).toLowerCase();
            assertFalse(head.contains("transfer-encoding"), text);
            assertEquals("streamed without a length", text.substring(text.indexOf("\r\n\r\n") + 4),
                    "the body ends with the connection, unframed");
        }
    }

    @Test
    void http10ClientAskingForKeepAliveKeepsItsConnection() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(RecordedRequest::uri));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /1 HTTP/1.0\r\nHost: a.test\r\nConnection: keep-alive\r\n\r\n");
            RawResponse first = client.readResponse();
            assertEquals("/1", first.bodyText());
            assertEquals("keep-alive", String.valueOf(first.header("Connection")).toLowerCase(),
                    "an HTTP/1.0 client closes unless told the connection stays open: " + first);
            client.send("GET /2 HTTP/1.0\r\nHost: a.test\r\nConnection: keep-alive\r\n\r\n");
            assertEquals("/2", client.readResponse().bodyText());
        }
    }

    @Test
    void http11RequestWithoutHostIs400AndCloses() throws Exception {
        FakeBackend backend = FakeBackend.start();
        try (backend;
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
            RawResponse r = client.readResponse();
            assertEquals(400, r.status(), r::toString);
            assertTrue(r.bodyText().contains("Host"), r.bodyText());
            assertTrue(r.closes(), "a request in doubt closes its connection (RFC 9112 3.2)");
            client.readUntilClosed();
        }
        assertEquals(0, backend.requestCount(), "nothing reached the backend");
    }

    @Test
    void expect100ContinueGetsA100ThenTheFinalAnswer() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "stored " + r.bodyText()));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("PUT /file HTTP/1.1\r\nHost: a.test\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n");
            RawResponse interim = client.readResponse();
            assertEquals(100, interim.status(), interim::toString);
            client.send("hello world");
            RawResponse last = client.readResponse();
            assertEquals(200, last.status(), last::toString);
            assertEquals("stored hello world", last.bodyText());
            RecordedRequest seen = backend.awaitCompleteRequest(0);
            assertEquals("100-continue", seen.header("Expect"), "the backend decides, and its 100 was relayed");
            assertEquals(200, client.get("a.test", "/next").status());
        }
    }

    @Test
    void expect100ContinueWithNoRouteGetsTheErrorInsteadOfA100() throws Exception {
        try (Turnout proxy = TestProxy.start("");
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("PUT /file HTTP/1.1\r\nHost: a.test\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n");
            RawResponse r = client.readResponse();
            assertEquals(503, r.status(), r::toString);
        }
    }

    @Test
    void unknownExpectationIs417() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nHost: a.test\r\nExpect: teapot\r\n\r\n");
            RawResponse r = client.readResponse();
            assertEquals(417, r.status(), r::toString);
            assertEquals(0, backend.requestCount());
        }
    }

    @Test
    void earlyHintsFromTheBackendReachTheClientBeforeTheFinalAnswer() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.raw("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n"
                + "Connection: x-hop\r\nX-Hop: dropped\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /hints HTTP/1.1\r\nHost: a.test\r\n\r\n");
            RawResponse hints = client.readResponse();
            assertEquals(103, hints.status(), hints::toString);
            assertEquals("</a.css>; rel=preload", hints.header("Link"));
            assertFalse(hints.hasHeader("X-Hop"), "hop-by-hop fields stay behind: " + hints);
            RawResponse r = client.readResponse();
            assertEquals(200, r.status(), r::toString);
            assertEquals("final", r.bodyText());
            assertFalse(r.hasHeader("Link"), "the 103's headers stay with the 103");
            client.send("GET /next HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertEquals(103, client.readResponse().status(), "the connection goes on in step");
            assertEquals("final", client.readResponse().bodyText());
        }
    }

    @Test
    void anHttp10ClientGetsNoInterimAnswerAndAnUnasked100IsDropped() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.raw("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"));
                Turnout proxy = TestProxy.start(backend)) {
            try (RawClient old = RawClient.connect(proxy.address())) {
                old.send("GET /hints HTTP/1.0\r\nHost: a.test\r\n\r\n");
                RawResponse r = old.readResponse();
                assertEquals(200, r.status(), "HTTP/1.0 has no 1xx (RFC 9110 15.2): " + r);
            }
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send("GET /hints HTTP/1.1\r\nHost: a.test\r\n\r\n");
                RawResponse first = client.readResponse();
                assertEquals(103, first.status(), "no Expect, so the backend's 100 is not relayed: " + first);
                assertEquals(200, client.readResponse().status());
            }
        }
    }

    @Test
    void closeDelimitedBackendBodyIsReframedAsChunkedForAnHttp11Client() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                + "until the backend hangs up").thenClose());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("a.test", "/old-backend");
            assertEquals(200, r.status(), r::toString);
            assertEquals("until the backend hangs up", r.bodyText());
            assertEquals("chunked", r.header("Transfer-Encoding"), "framed, so the client connection can go on: " + r);
            backend.replyWith(Reply.ok("next"));
            assertEquals("next", client.get("a.test", "/next").bodyText());
        }
    }

    @Test
    void clientStallingMidBodyGets408AndTheBackendConnectionIsDropped() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start("timeouts { idle = 300ms }\n" + TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1000\r\n\r\nonly the start");
            RawResponse r = client.readResponse();
            assertEquals(408, r.status(), r::toString);
            assertTrue(client.isClosedByPeer());
            RecordedRequest seen = backend.awaitRequest(0);
            Await.until("the backend connection to close", () -> backend.isClosed(seen.connectionId()));
            assertFalse(seen.complete());
        }
    }

    @Test
    void idleClientConnectionIsClosed() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start("timeouts { idle = 300ms }\n" + TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("a.test", "/").status());
            assertTrue(client.isClosedByPeer(), "closed quietly, without a response");
        }
    }
}
