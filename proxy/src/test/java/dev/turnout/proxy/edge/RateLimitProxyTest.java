package dev.turnout.proxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.admin.RouteView;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Rate limits on real sockets. The rates are per hour, so no bucket refills while a test runs: what passes
 * is the burst, whatever the machine's speed.
 */
class RateLimitProxyTest {

    private static String routes(FakeBackend backend, String routes) {
        return "pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] }, none { backends = [] } }\n"
                + "trusted-proxies = [\"127.0.0.1/32\"]\n"
                + "routes = [ " + routes + " ]";
    }

    private static RawResponse get(RawClient client, String path, String extraHeaders) throws IOException {
        client.send("GET " + path + " HTTP/1.1\r\nHost: a.test\r\n" + extraHeaders + "\r\n");
        return client.readResponse();
    }

    private static RouteView route(Turnout proxy, String name) {
        return proxy.control().routes().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aBurstPassesAndTheNextRequestGets429WithRetryAfterAndRateLimitFieldsWithoutReachingTheBackend() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(routes(backend,
                        "{ name = api, split { app = 100 }, rate-limit { rate = 60/h, burst = 3 } }"));
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(200, get(client, "/r" + i, "").status(), "request " + i + " is within the burst");
            }
            RawResponse refused = get(client, "/r3", "");

            assertEquals(429, refused.status());
            long retryAfter = Long.parseLong(refused.header("Retry-After"));
            assertTrue(retryAfter >= 1 && retryAfter <= 60, "the next token comes within a minute: " + retryAfter);
            assertEquals("\"api\";q=60;w=3600", refused.header("RateLimit-Policy"));
            assertEquals("\"api\";r=0;t=" + retryAfter, refused.header("RateLimit"));
            assertFalse(refused.closes(), "the connection stays open");
            assertEquals(3, backend.requestCount(), "the refused request never reached the backend");
            assertEquals(1L, route(proxy, "api").rateLimited());
            assertEquals(1L, route(proxy, "api").rateLimitKeys());
            assertEquals("60/h burst 3 per client-ip", route(proxy, "api").policy().get("rate-limit"));
            String metrics = AdminCalls.send(proxy, "GET", "/metrics", null).body();
            assertTrue(metrics.contains("turnout_rate_limited_total{route=\"api\"} 1.0"), metrics);
        }
    }

    @Test
    void clientsHeadersAndCookiesAreCountedApart() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(routes(backend,
                        "{ name = by-ip, path-prefix = \"/ip\", split { app = 100 }, rate-limit { rate = 1/h, burst = 1 } }\n"
                        + "{ name = by-header, path-prefix = \"/header\", split { app = 100 }, "
                        + "rate-limit { rate = 1/h, burst = 1, key = \"header:X-Api-Key\" } }\n"
                        + "{ name = by-cookie, path-prefix = \"/cookie\", split { app = 100 }, "
                        + "rate-limit { rate = 1/h, burst = 1, key = \"cookie:session\" } }"));
                RawClient client = RawClient.connect(proxy.address())) {
            // The peer is a trusted proxy, so X-Forwarded-For names the client.
            assertEquals(200, get(client, "/ip", "X-Forwarded-For: 192.0.2.1\r\n").status());
            assertEquals(429, get(client, "/ip", "X-Forwarded-For: 192.0.2.1\r\n").status());
            assertEquals(200, get(client, "/ip", "X-Forwarded-For: 192.0.2.2\r\n").status(), "another client");

            assertEquals(200, get(client, "/header", "X-Api-Key: alpha\r\n").status());
            assertEquals(429, get(client, "/header", "X-Api-Key: alpha\r\nX-Forwarded-For: 192.0.2.3\r\n").status(),
                    "the same key from another address");
            assertEquals(200, get(client, "/header", "X-Api-Key: beta\r\n").status());
            assertEquals(200, get(client, "/header", "").status(), "no key: counted by the client address");
            assertEquals(429, get(client, "/header", "").status());

            assertEquals(200, get(client, "/cookie", "Cookie: theme=dark; session=s1\r\n").status());
            assertEquals(429, get(client, "/cookie", "Cookie: session=s1\r\n").status());
            assertEquals(200, get(client, "/cookie", "Cookie: session=s2\r\n").status());

            assertEquals(7, backend.requestCount());
            assertEquals(1L, route(proxy, "by-ip").rateLimited());
            assertEquals(2L, route(proxy, "by-header").rateLimited());
            assertEquals(3L, route(proxy, "by-header").rateLimitKeys());
            assertEquals(1L, route(proxy, "by-cookie").rateLimited());
        }
    }

    /**
     * 20,000 clients (ten times max-keys), each with a key of its own (sent pipelined, 1,000 at a time, to a pool without
     * backends, so that Turnout answers each itself once the rate limit let it through): the route holds
     * no more than its {@code max-keys} buckets, and so no more than max-keys times the bytes per bucket
     * that {@code RateLimiterMemoryTest} measures.
     */
    @Test
    void tenTimesMaxKeysDistinctKeysStayWithinMaxKeys() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(routes(backend, "{ name = many, split { none = 100 }, "
                        + "rate-limit { rate = 1/h, burst = 1, key = \"header:X-Key\", max-keys = 2000 } }"));
                RawClient client = RawClient.connect(proxy.address())) {
            int batch = 1000;
            for (int start = 0; start < 20_000; start += batch) {
                StringBuilder requests = new StringBuilder();
                for (int i = start; i < start + batch; i++) {
                    requests.append("GET /k HTTP/1.1\r\nHost: a.test\r\nX-Key: client-").append(i).append("\r\n\r\n");
                }
                client.send(requests.toString());
                for (int i = 0; i < batch; i++) {
                    assertEquals(503, client.readResponse().status(), "a new key always passes the rate limit");
                }
            }
            assertEquals(0L, route(proxy, "many").rateLimited());
            Await.until("eviction down to max-keys", () -> route(proxy, "many").rateLimitKeys() <= 2_000);
            assertTrue(route(proxy, "many").rateLimitKeys() > 0);
        }
    }
}
