package dev.turnout.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which backend a request reaches: weights within a pool, splits across pools, host and path matching. */
class ProxyRoutingTest {

    @Test
    void poolWeightsThreeToOneSplitRequestsThreeToOne() throws Exception {
        try (FakeBackend heavy = FakeBackend.start(Reply.ok("heavy"));
                FakeBackend light = FakeBackend.start(Reply.ok("light"));
                FakeBackend idle = FakeBackend.start(Reply.ok("idle"));
                Turnout proxy = TestProxy.start("pools { app { backends = [ "
                        + TestProxy.backend("heavy", heavy, 3) + ", " + TestProxy.backend("light", light, 1) + ", "
                        + TestProxy.backend("idle", idle, 0) + " ] } }\n"
                        + "routes = [ { name = web, split { app = 100 } } ]");
                RawClient client = RawClient.connect(proxy.address())) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 400; i++) {
                RawResponse r = client.get("app.test", "/n/" + i);
                assertEquals(200, r.status(), r::toString);
                seen.merge(r.bodyText(), 1, Integer::sum);
            }
            // Smooth weighted round robin is exact over whole cycles; allow the +-5% the contract promises.
            assertBetween(285, 315, seen.getOrDefault("heavy", 0), "heavy " + seen);
            assertBetween(95, 105, seen.getOrDefault("light", 0), "light " + seen);
            assertEquals(400, heavy.requestCount() + light.requestCount());
            assertEquals(0, idle.connectionCount(), "a backend of weight 0 gets no traffic");
        }
    }

    @Test
    void routeSplitsNinetyTenAcrossPools() throws Exception {
        try (FakeBackend stable = FakeBackend.start(Reply.ok("stable"));
                FakeBackend canary = FakeBackend.start(Reply.ok("canary"));
                Turnout proxy = TestProxy.start("pools {\n"
                        + "  stable { backends = [ " + TestProxy.backend("s1", stable, 1) + " ] }\n"
                        + "  canary { backends = [ " + TestProxy.backend("c1", canary, 1) + " ] }\n"
                        + "}\n"
                        + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { stable = 90, canary = 10 } } ]")) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 100; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/r/" + i)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                seen.merge(r.body(), 1, Integer::sum);
            }
            assertBetween(85, 95, seen.getOrDefault("stable", 0), "stable " + seen);
            assertBetween(5, 15, seen.getOrDefault("canary", 0), "canary " + seen);
            assertEquals(100, stable.requestCount() + canary.requestCount());
        }
    }

    @Test
    void hostAndPathPrefixMatchingFirstMatchWins() throws Exception {
        try (FakeBackend api = FakeBackend.start(Reply.ok("api"));
                FakeBackend wild = FakeBackend.start(Reply.ok("wild"));
                FakeBackend assets = FakeBackend.start(Reply.ok("static"));
                FakeBackend shadowed = FakeBackend.start(Reply.ok("shadowed"));
                Turnout proxy = TestProxy.start("pools {\n"
                        + "  api { backends = [ " + TestProxy.backend("a", api, 1) + " ] }\n"
                        + "  wild { backends = [ " + TestProxy.backend("w", wild, 1) + " ] }\n"
                        + "  assets { backends = [ " + TestProxy.backend("s", assets, 1) + " ] }\n"
                        + "  shadowed { backends = [ " + TestProxy.backend("x", shadowed, 1) + " ] }\n"
                        + "}\n"
                        + "routes = [\n"
                        + "  { name = api, host = \"api.example.com\", path-prefix = \"/\", split { api = 100 } }\n"
                        + "  { name = wild, host = \"*.example.com\", path-prefix = \"/\", split { wild = 100 } }\n"
                        + "  { name = assets, host = \"*\", path-prefix = \"/static/\", split { assets = 100 } }\n"
                        + "  { name = shadowed, host = \"*\", path-prefix = \"/static/\", split { shadowed = 100 } }\n"
                        + "]");
                RawClient client = RawClient.connect(proxy.address())) {
            // exact host; also matched by the later wildcard and /static/ routes: the first wins
            assertEquals("api", client.get("api.example.com", "/static/x").bodyText());
            // the port in Host is ignored, and so is case
            assertEquals("api", client.get("API.Example.com:8080", "/").bodyText());
            // *.example.com matches any subdomain
            assertEquals("wild", client.get("a.example.com", "/").bodyText());
            assertEquals("wild", client.get("deep.a.example.com:80", "/x").bodyText());
            // any host, by path prefix; the later identical route is shadowed
            assertEquals("static", client.get("other.org", "/static/app.js").bodyText());
            assertEquals("static", client.get("other.org", "/static/app.js?v=1").bodyText());

            // *.example.com does not match example.com itself, and nothing else does
            RawResponse bare = client.get("example.com", "/");
            assertEquals(503, bare.status(), bare::toString);
            assertTrue(bare.bodyText().contains("no route"), bare.bodyText());
            // unknown host and path
            RawResponse unknown = client.get("other.org", "/dynamic");
            assertEquals(503, unknown.status(), unknown::toString);
            assertTrue(unknown.bodyText().contains("no route"), unknown.bodyText());
            // a prefix is a prefix of the path, not of the query
            RawResponse query = client.get("other.org", "/x?/static/");
            assertEquals(503, query.status(), query::toString);

            // the connection survived the 503s
            assertEquals("wild", client.get("b.example.com", "/").bodyText());
            assertEquals(0, shadowed.requestCount());
            assertEquals(0, shadowed.connectionCount());
            RecordedRequest last = wild.awaitRequest(2);
            assertEquals("b.example.com", last.header("Host"));
        }
    }

    private static void assertBetween(int min, int max, int actual, String what) {
        assertTrue(actual >= min && actual <= max, what + ": expected " + min + ".." + max + ", was " + actual);
    }
}
