package dev.turnout.proxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * Request header rules as the backend sees them, and response header rules as the client sees them on every
 * answer: relayed, from the cache, or Turnout's own.
 */
class HeaderRulesProxyTest {

    private static String config(FakeBackend backend) {
        return "pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] }, none { backends = [] } }\n"
                + "routes = [\n"
                + "  { name = down, path-prefix = \"/down\", split { none = 100 },"
                + " response-headers { set { Strict-Transport-Security = \"max-age=31536000\" } } }\n"
                + "  { name = web, split { app = 100 },\n"
                + "    request-headers { set { X-Env = prod }, add { X-Tag = turnout }, remove = [X-Debug] },\n"
                + "    response-headers { set { Strict-Transport-Security = \"max-age=31536000\" }, add { X-Served-By = edge },"
                + " remove = [Server] } }\n"
                + "]";
    }

    @Test
    void theBackendSeesTheRequestRulesAndTheClientTheResponseRules() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("hi").header("Server", "app/1.2").header("X-Served-By", "app"));
                Turnout proxy = TestProxy.start(config(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /page HTTP/1.1\r\nHost: a.test\r\nX-Env: dev\r\nX-Tag: client\r\nX-Debug: 1\r\n\r\n");
            RawResponse response = client.readResponse();

            RecordedRequest seen = backend.awaitRequest(0);
            assertEquals("prod", seen.header("X-Env"), "set replaces the client's value");
            assertEquals("[client, turnout]", seen.headers().getAll("X-Tag").toString(), "add keeps it");
            assertNull(seen.header("X-Debug"));
            assertEquals(200, response.status());
            assertEquals("max-age=31536000", response.header("Strict-Transport-Security"));
            assertEquals("app, edge", response.header("X-Served-By"));
            assertFalse(response.hasHeader("Server"));
        }
    }

    @Test
    void aCachedAnswerGetsTheResponseRulesOnceEachTime() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("cached").header("Cache-Control", "max-age=60")
                    .header("Server", "app/1.2"));
                Turnout proxy = TestProxy.start(config(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse first = client.get("a.test", "/static");
            RawResponse hit = client.get("a.test", "/static");

            assertEquals("MISS", first.header("X-Cache"));
            assertEquals("HIT", hit.header("X-Cache"));
            assertEquals(1, backend.requestCount());
            for (RawResponse response : new RawResponse[] {first, hit}) {
                assertEquals("max-age=31536000", response.header("Strict-Transport-Security"));
                assertEquals("edge", response.header("X-Served-By"), "added once, not once more for each use");
                assertFalse(response.hasHeader("Server"));
            }
        }
    }

    @Test
    void turnoutsOwnAnswersGetTheResponseRulesToo() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(config(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse noBackend = client.get("a.test", "/down");
            assertEquals(503, noBackend.status());
            assertEquals("max-age=31536000", noBackend.header("Strict-Transport-Security"));
        }
    }
}
