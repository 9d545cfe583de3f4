package dev.turnout.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Several requests sent in one write are answered in request order, each with its own body. */
class PipeliningTest {

    /** A request the proxy fails to pass on ends as a 504 after this. */
    private static final String SHORTER_WAIT = "timeouts { request = 2s }\n";

    private static final String THREE_REQUESTS = "GET /one HTTP/1.1\r\nHost: a.test\r\n\r\n"
            + "GET /two HTTP/1.1\r\nHost: a.test\r\n\r\n"
            + "GET /three HTTP/1.1\r\nHost: a.test\r\n\r\n";

    /**
     * The first answer is held back until the test has seen the first request reach the backend,
     * so the second and third requests are certainly waiting inside the proxy meanwhile.
     */
    @Test
    void pipelinedRequestsAreAnsweredInOrderWhileTheFirstIsSlow() throws Exception {
        CompletableFuture<Void> releaseFirst = new CompletableFuture<>();
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "answer to " + r.uri()));
                Turnout proxy = TestProxy.start(SHORTER_WAIT + TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            backend.enqueue(Reply.answer(r -> "answer to " + r.uri()).after(releaseFirst));
            client.send(THREE_REQUESTS);
            assertEquals("/one", backend.awaitRequest(0).uri());
            releaseFirst.complete(null);
            for (String path : new String[] {"/one", "/two", "/three"}) {
                RawResponse r = client.readResponse();
                assertEquals(200, r.status(), () -> "response to " + path + ": " + r);
                assertEquals("answer to " + path, r.bodyText());
                assertFalse(r.closes());
            }
            assertEquals(3, backend.requestCount());
            // and the connection is still in step for a fourth request
            assertEquals("answer to /four", client.get("a.test", "/four").bodyText());
        }
    }

    @Test
    void pipelinedRequestsWithBodiesAndMixedOutcomes() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> r.uri() + ":" + r.bodyText()).chunked());
                Turnout proxy = TestProxy.start(SHORTER_WAIT
                        + "pools { app { backends = [ " + TestProxy.backend("b", backend, 1) + " ] } }\n"
                        + "routes = [ { name = web, host = \"a.test\", split { app = 100 } } ]");
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /p1 HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /nowhere HTTP/1.1\r\nHost: unknown.test\r\n\r\n"
                    + "PUT /p2 HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ndef\r\n0\r\n\r\n"
                    + "GET /p3 HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertEquals("/p1:abc", client.readResponse().bodyText());
            assertEquals(503, client.readResponse().status());
            assertEquals("/p2:def", client.readResponse().bodyText());
            assertEquals("/p3:", client.readResponse().bodyText());
            assertEquals(1, backend.connectionCount());
        }
    }
}
