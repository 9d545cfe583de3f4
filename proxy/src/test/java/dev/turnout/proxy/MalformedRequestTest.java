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
import java.util.List;
import org.junit.jupiter.api.Test;

/** Requests the proxy must refuse: a 4xx to the client, and nothing (or nothing complete) to the backend. */
class MalformedRequestTest {

    @Test
    void headerLineWithoutColonIs400AndNeverReachesTheBackend() throws Exception {
        assertRejectedBeforeTheBackend("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400);
    }

    @Test
    void whitespaceBeforeTheColonIs400AndNeverReachesTheBackend() throws Exception {
        assertRejectedBeforeTheBackend("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
    }

    @Test
    void invalidContentLengthIs400AndNeverReachesTheBackend() throws Exception {
        assertRejectedBeforeTheBackend("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\nhello", 400);
    }

    @Test
    void conflictingContentLengthsAre400AndNeverReachTheBackend() throws Exception {
        assertRejectedBeforeTheBackend("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
                400);
    }

    /** RFC 9112 3.2: a request with more than one Host line gets 400 (the proxy and the backend could disagree). */
    @Test
    void duplicateHostIs400AndNeverReachesTheBackend() throws Exception {
        assertRejectedBeforeTheBackend("GET / HTTP/1.1\r\nHost: x\r\nHost: evil.test\r\n\r\n", 400);
    }

    @Test
    void oversizeHeaderIs431AndNeverReachesTheBackend() throws Exception {
        assertRejectedBeforeTheBackend("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", 431);
    }

    @Test
    void oversizeRequestLineIs414AndNeverReachesTheBackend() throws Exception {
        assertRejectedBeforeTheBackend("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
    }

    @Test
    void garbageInsteadOfARequestIs400() throws Exception {
        assertRejectedBeforeTheBackend("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003 hello\r\n\r\n", 400);
    }

    /** Sends {@code request}, expects {@code status} and a closed connection, and proves the backend got nothing. */
    private static void assertRejectedBeforeTheBackend(String request, int status) throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "saw " + r.uri()));
                Turnout proxy = TestProxy.start(backend)) {
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send(request);
                RawResponse r = client.readResponse();
                assertEquals(status, r.status(), r::toString);
                assertTrue(r.closes(), "a connection whose framing is in doubt is closed: " + r);
                client.readUntilClosed();
            }
            // A sentinel request after the rejection: once it has arrived, the rejected one would have too.
            try (RawClient client = RawClient.connect(proxy.address())) {
                assertEquals("saw /sentinel", client.get("x", "/sentinel").bodyText());
            }
            List<RecordedRequest> seen = backend.requests();
            assertEquals(1, seen.size(), () -> "the backend must see only the sentinel: " + seen);
            assertEquals("/sentinel", seen.get(0).uri());
        }
    }

    @Test
    void invalidChunkSizeIs400AndTheBackendNeverGetsACompleteRequest() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\nZZ\r\nnot a chunk\r\n0\r\n\r\n");
            RawResponse r = client.readResponse();
            assertEquals(400, r.status(), r::toString);
            assertTrue(client.isClosedByPeer());
            // Whatever reached the backend, no request ended cleanly there, and no connection stays open.
            Await.until("every backend connection to close", () -> backend.openConnectionCount() == 0);
            for (RecordedRequest seen : backend.requests()) {
                assertFalse(seen.complete(), () -> "the backend received a complete request: " + seen);
            }
        }
    }

    @Test
    void invalidChunkAfterTheBodyStartedFlowingDropsTheBackendConnectionMidRequest() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            RecordedRequest seen = backend.awaitRequest(0);
            Await.until("the first chunk to reach the backend", () -> seen.bodyLength() == 5);
            client.send("-1\r\nbad\r\n0\r\n\r\n");
            RawResponse r = client.readResponse();
            assertEquals(400, r.status(), r::toString);
            assertTrue(client.isClosedByPeer());
            Await.until("the backend connection to close", () -> backend.isClosed(seen.connectionId()));
            assertFalse(seen.complete(), "the backend must not see the body end cleanly");
            assertEquals(5, seen.bodyLength());
            assertEquals(1, backend.requestCount());
        }
    }

    /**
     * Content-Length together with Transfer-Encoding is the classic smuggling vector: the proxy
     * must either refuse it or pass it on framed by chunked alone (RFC 9112 6.1), so the backend
     * reads the same body boundaries as the proxy did.
     */
    @Test
    void contentLengthWithTransferEncodingCannotSmuggleARequest() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "saw " + r.uri() + " body=" + r.bodyText()));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /front HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "2b\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\nX: y\r\n\r\n\r\n0\r\n\r\n");
            RawResponse r = client.readResponse();
            if (r.status() == 400) {
                assertEquals(0, backend.requestCount());
                return;
            }
            assertEquals(200, r.status(), r::toString);
            RecordedRequest front = backend.awaitCompleteRequest(0);
            assertNull(front.header("Content-Length"), "only one framing may reach the backend: " + front.headers());
            assertEquals(0x2b, front.bodyLength());
            client.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("saw /next body=", client.readResponse().bodyText());
            for (RecordedRequest seen : backend.requests()) {
                assertFalse(seen.uri().contains("smuggled"), "smuggled request reached the backend");
            }
        }
    }
}
