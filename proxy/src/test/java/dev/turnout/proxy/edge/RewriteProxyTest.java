package dev.turnout.proxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AccessLogLines;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Rewrites on real sockets: the backend gets the rewritten path, while the client's URL (logs, cache key) stays. */
class RewriteProxyTest {

    private static String config(FakeBackend backend) {
        return "pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] } }\n"
                + "routes = [\n"
                + "  { name = api, path-prefix = \"/api\", split { app = 100 }, rewrite { strip-prefix = \"/api\" } }\n"
                + "  { name = old, path-prefix = \"/old\", split { app = 100 },"
                + " rewrite { regex = \"^/old/([a-z]+)/(.*)$\", replacement = \"/new/$2/$1\" } }\n"
                + "  { name = web, split { app = 100 } }\n"
                + "]";
    }

    @Test
    void stripPrefixAndRegexRewritesReachTheBackendAndTheLogKeepsTheClientsUrl() throws Exception {
        try (AccessLogLines log = AccessLogLines.capture();
                FakeBackend backend = FakeBackend.start(Reply.answer(r -> "saw " + r.uri()));
                Turnout proxy = TestProxy.start(config(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("saw /users/7?expand=1", client.get("a.test", "/api/users/7?expand=1").bodyText());
            assertEquals("saw /new/item/42/shop?x=1", client.get("a.test", "/old/shop/item/42?x=1").bodyText());
            assertEquals("saw /old", client.get("a.test", "/old").bodyText(), "no match: the path as sent");
            assertEquals("saw /plain", client.get("a.test", "/plain").bodyText());
            assertTrue(log.awaitLine("\"GET /api/users/7?expand=1\"").contains("route=api"));
            log.awaitLine("\"GET /old/shop/item/42?x=1\"");
        }
    }

    /** The cache keys on the client's URL: two URLs that rewrite to one backend path are two entries. */
    @Test
    void theCacheKeysOnTheClientsUrl() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "saw " + r.uri()).header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse viaApi = client.get("a.test", "/api/x");
            RawResponse direct = client.get("a.test", "/x");
            RawResponse viaApiAgain = client.get("a.test", "/api/x");

            assertEquals("MISS", viaApi.header("X-Cache"));
            assertEquals("MISS", direct.header("X-Cache"), "the same backend path under another client URL");
            assertEquals("HIT", viaApiAgain.header("X-Cache"));
            assertEquals(2, backend.requestCount());
            assertEquals("/x", backend.awaitRequest(0).uri());
            assertEquals("/x", backend.awaitRequest(1).uri());
        }
    }

    /** A stale entry refreshed in the background is fetched as the client's request would be: rewritten. */
    @Test
    void aBackgroundRefreshAsksForTheRewrittenPath() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("page")
                    .header("Cache-Control", "max-age=1, stale-while-revalidate=60"));
                Turnout proxy = TestProxy.start(config(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("MISS", client.get("a.test", "/api/page").header("X-Cache"));
            Await.until("the entry to go stale and be served so", Duration.ofSeconds(10),
                    () -> {
                        try {
                            return "STALE".equals(client.get("a.test", "/api/page").header("X-Cache"));
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    });
            Await.until("the background refresh", () -> backend.requestCount() >= 2);
            assertEquals("/page", backend.awaitRequest(1).uri());
        }
    }
}
