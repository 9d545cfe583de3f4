package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.CacheConfig;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Http2Client;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** The response cache: RFC 9111 rules over real sockets, and its bounds with a manual clock. */
class ResponseCacheTest {

    private static String cached(FakeBackend backend, String routeExtra) {
        return "pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] } }\n"
                + "routes = [ { name = web, split { app = 100 }" + routeExtra + " } ]";
    }

    private static RawResponse get(RawClient client, String path, String... headers) throws Exception {
        StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: a.test\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        client.send(request.append("\r\n").toString());
        return client.readResponse();
    }

    @Test
    void aMaxAgeAnswerIsServedFromCacheWithAge() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("fresh").header("Cache-Control", "max-age=60")
                .header("ETag", "\"v1\""));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse first = get(client, "/page");
            assertEquals("MISS", first.header("x-cache"));
            for (int i = 0; i < 4; i++) {
                RawResponse hit = get(client, "/page");
                assertEquals(200, hit.status());
                assertEquals("fresh", hit.bodyText());
                assertEquals("HIT", hit.header("x-cache"));
                assertTrue(Integer.parseInt(hit.header("age")) >= 0);
            }
            assertEquals(1, backend.requestCount(), "one backend request for five answers");

            RawResponse notModified = get(client, "/page", "If-None-Match: \"v1\"");
            assertEquals(304, notModified.status(), "a client's conditional request answered from the fresh entry");
            assertEquals("\"v1\"", notModified.header("etag"));

            client.send("HEAD /page HTTP/1.1\r\nHost: a.test\r\n\r\n");
            RawResponse head = client.readResponse(true, false);
            assertEquals("HIT", head.header("x-cache"), "HEAD is served from the GET's entry");
            assertEquals(1, backend.requestCount());

            assertEquals("MISS", get(client, "/page", "Cache-Control: no-cache").header("x-cache"),
                    "the client may ask for the origin");
            assertEquals(2, backend.requestCount());
        }
    }

    @Test
    void aHitReachesAnHttp2ClientWithItsFieldsAndBody() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("fresh").header("Cache-Control", "max-age=60")
                .header("X-Origin", "o1"));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                Http2Client client = Http2Client.connect(proxy.address(), null)) {
            Http2Headers get = new DefaultHttp2Headers().method("GET").scheme("http").authority("a.test").path("/h2");
            client.send(get, null).await();
            Http2Client.Response hit = client.send(get, null).await();
            Http2Headers head = hit.headerBlocks().get(0);
            assertEquals("200", head.status().toString());
            assertEquals("HIT", head.get("x-cache").toString());
            assertEquals("o1", head.get("x-origin").toString());
            assertEquals("5", head.get("content-length").toString());
            assertEquals("fresh", hit.bodyText());
            assertEquals(1, hit.headerBlocks().size(), "no trailers");
            assertEquals(1, backend.requestCount());
        }
    }

    @Test
    void aHitIsCompressedForClientsThatAcceptItFromTheOneStoredAnswer() throws Exception {
        String text = "cached text, ".repeat(200);
        try (FakeBackend backend = FakeBackend.start(Reply.ok(text).header("Cache-Control", "max-age=60")
                .header("Content-Type", "text/plain"));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/text");
            for (int i = 0; i < 2; i++) {
                RawResponse gzipped = get(client, "/text", "Accept-Encoding: gzip");
                assertEquals("HIT", gzipped.header("x-cache"));
                assertEquals("gzip", gzipped.header("content-encoding"));
                assertEquals("accept-encoding", gzipped.header("vary"));
                try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped.body()))) {
                    assertEquals(text, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                RawResponse plain = get(client, "/text");
                assertEquals("HIT", plain.header("x-cache"));
                assertNull(plain.header("content-encoding"), "the compressed hit left the stored answer as it was");
                assertEquals(String.valueOf(text.length()), plain.header("content-length"));
                assertEquals("accept-encoding", plain.header("vary"));
                assertEquals(text, plain.bodyText());
            }
            assertEquals(1, backend.requestCount());
        }
    }

    @Test
    void answersThatMustNotBeSharedAreNeverStored() throws Exception {
        for (Reply reply : List.of(Reply.ok("x").header("Cache-Control", "no-store, max-age=60"),
                Reply.ok("x").header("Cache-Control", "private, max-age=60"),
                Reply.ok("x").header("Cache-Control", "no-cache, max-age=60"),
                Reply.ok("x").header("Cache-Control", "max-age=60").header("Set-Cookie", "session=1"),
                Reply.ok("x").header("Cache-Control", "max-age=60").header("Vary", "*"),
                Reply.ok("x"))) {
            try (FakeBackend backend = FakeBackend.start(reply);
                    Turnout proxy = TestProxy.start(cached(backend, ""));
                    RawClient client = RawClient.connect(proxy.address())) {
                for (int i = 0; i < 3; i++) {
                    assertEquals("MISS", get(client, "/p").header("x-cache"));
                }
                assertEquals(3, backend.requestCount(), "stored an answer it must not");
            }
        }
    }

    @Test
    void varyVariantsStayApart() throws Exception {
        try (FakeBackend backend = FakeBackend.start(request -> Reply.ok(request.headers().get("accept-language"))
                .header("Cache-Control", "max-age=60").header("Vary", "Accept-Language"));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("en", get(client, "/v", "Accept-Language: en").bodyText());
            assertEquals("fr", get(client, "/v", "Accept-Language: fr").bodyText());
            assertEquals("en", get(client, "/v", "Accept-Language: en").bodyText());
            assertEquals("fr", get(client, "/v", "Accept-Language: fr").bodyText());
            assertEquals(2, backend.requestCount());
        }
    }

    @Test
    void authorizedRequestsAreServedFromCacheOnlyWhenTheAnswerAllowsIt() throws Exception {
        try (FakeBackend backend = FakeBackend.start(request -> Reply.ok(request.uri())
                .header("Cache-Control", request.uri().startsWith("/public") ? "public, max-age=60" : "max-age=60"));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/mine", "Authorization: Bearer a");
            assertEquals("MISS", get(client, "/mine", "Authorization: Bearer b").header("x-cache"));
            get(client, "/public", "Authorization: Bearer a");
            assertEquals("HIT", get(client, "/public", "Authorization: Bearer b").header("x-cache"));
            assertEquals(3, backend.requestCount());
        }
    }

    @Test
    void eachPoolOfASplitHasItsOwnAnswers() throws Exception {
        try (FakeBackend stable = FakeBackend.start(Reply.ok("stable").header("Cache-Control", "max-age=60"));
                FakeBackend canary = FakeBackend.start(Reply.ok("canary").header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start("pools { stable { backends = [ " + TestProxy.backend("s", stable, 1)
                        + " ] }, canary { backends = [ " + TestProxy.backend("c", canary, 1) + " ] } }\n"
                        + "routes = [ { name = web, split { stable = 50, canary = 50 } } ]");
                RawClient client = RawClient.connect(proxy.address())) {
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                bodies.add(get(client, "/same").bodyText());
            }
            assertEquals(List.of("canary", "stable", "canary", "stable", "canary", "stable"), bodies,
                    "canary answers never reach requests routed to stable");
            assertEquals(1, stable.requestCount());
            assertEquals(1, canary.requestCount());
        }
    }

    @Test
    void bodiesOverTheObjectLimitAndRoutesWithoutCacheStreamThrough() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("y".repeat(2048)).header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start("cache.max-object-size = 1KiB\n" + cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/big");
            assertEquals(2048, get(client, "/big").bodyText().length());
            assertEquals(2, backend.requestCount());
        }
        try (FakeBackend backend = FakeBackend.start(Reply.ok("z").header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(cached(backend, ", cache = false"));
                RawClient client = RawClient.connect(proxy.address())) {
            assertNull(get(client, "/off").header("x-cache"));
            get(client, "/off");
            assertEquals(2, backend.requestCount());
        }
    }

    @Test
    void purgeDropsAnswersByPrefixOrAll() throws Exception {
        try (FakeBackend backend = FakeBackend.start(request -> Reply.ok(request.uri()).header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            for (String path : List.of("/static/a.css", "/static/b.js", "/index.html")) {
                get(client, path);
            }
            assertEquals(2, proxy.control().purgeCache("/static/"));
            assertEquals("MISS", get(client, "/static/a.css").header("x-cache"));
            assertEquals("HIT", get(client, "/index.html").header("x-cache"));
            assertEquals(2, proxy.control().purgeCache(""));
            assertEquals("MISS", get(client, "/index.html").header("x-cache"));
        }
    }

    @Test
    void fortyConcurrentMissesMakeOneBackendRequest() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        try (FakeBackend backend = FakeBackend.start(Reply.ok("once").header("Cache-Control", "max-age=60").after(gate));
                Turnout proxy = TestProxy.start(cached(backend, ""))) {
            List<RawClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    RawClient client = RawClient.connect(proxy.address());
                    clients.add(client);
                    client.send("GET /hot HTTP/1.1\r\nHost: a.test\r\n\r\n");
                }
                Await.until("the first miss to reach the backend", () -> backend.requestCount() >= 1);
                gate.complete(null);

                for (RawClient client : clients) {
                    RawResponse answer = client.readResponse();
                    assertEquals(200, answer.status());
                    assertEquals("once", answer.bodyText());
                }
                assertEquals(1, backend.requestCount(), "40 concurrent misses, one backend request");
            } finally {
                for (RawClient client : clients) {
                    client.close();
                }
            }
        }
    }

    @Test
    void concurrentRequestsForAnUncacheableAnswerEachGetTheirOwn() throws Exception {
        try (FakeBackend backend = FakeBackend.start(request -> Reply.ok("for " + request.headers().get("x-user")));
                Turnout proxy = TestProxy.start(cached(backend, ""))) {
            List<RawClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    RawClient client = RawClient.connect(proxy.address());
                    clients.add(client);
                    client.send("GET /dynamic HTTP/1.1\r\nHost: a.test\r\nX-User: u" + i + "\r\n\r\n");
                }
                for (int i = 0; i < 5; i++) {
                    assertEquals("for u" + i, clients.get(i).readResponse().bodyText(), "nothing shared");
                }
                assertEquals(5, backend.requestCount());
            } finally {
                for (RawClient client : clients) {
                    client.close();
                }
            }
        }
    }

    @Test
    void aStaleEntryIsRevalidatedAndA304RefreshesIt() throws Exception {
        try (FakeBackend backend = FakeBackend.start(request -> "\"v1\"".equals(request.headers().get("if-none-match"))
                ? Reply.status(304, "").header("ETag", "\"v1\"").header("Cache-Control", "max-age=1")
                : Reply.ok("v1 body").header("ETag", "\"v1\"").header("Cache-Control", "max-age=1"));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("MISS", get(client, "/r").header("x-cache"));
            // Polls until the one-second entry is stale and the proxy asks the backend again.
            RawResponse revalidated = getUntil(client, "/r", () -> backend.requestCount() == 2);

            assertEquals(200, revalidated.status(), "the client gets the cached answer, not the 304");
            assertEquals("v1 body", revalidated.bodyText());
            assertEquals("HIT", revalidated.header("x-cache"));
            assertEquals("\"v1\"", backend.requests().get(1).headers().get("if-none-match"));
            assertEquals("HIT", get(client, "/r").header("x-cache"), "refreshed: fresh again");
            assertEquals(2, backend.requestCount());
        }
    }

    @Test
    void aStaleEntryStandsInWhenTheBackendFails() throws Exception {
        AtomicReference<Reply> reply = new AtomicReference<>(Reply.ok("saved").header("Cache-Control",
                "max-age=1, stale-if-error=60"));
        try (FakeBackend backend = FakeBackend.start(request -> reply.get());
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/e");
            reply.set(Reply.status(500, "broken"));
            RawResponse stale = getUntil(client, "/e", () -> backend.requestCount() >= 2);

            assertEquals(200, stale.status());
            assertEquals("saved", stale.bodyText());
            assertEquals("STALE", stale.header("x-cache"));
        }
        try (FakeBackend backend = FakeBackend.start(Reply.ok("saved").header("Cache-Control", "max-age=1")
                .header("ETag", "\"x\"")); // no stale-if-error: a failure is a failure
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/e");
            backend.replyWith(Reply.status(503, "down"));
            assertEquals(503, getUntil(client, "/e", () -> backend.requestCount() >= 2).status());
        }
    }

    @Test
    void aStaleWhileRevalidateEntryIsServedAtOnceAndRefreshedInTheBackground() throws Exception {
        CompletableFuture<Void> refreshMayAnswer = new CompletableFuture<>();
        try (FakeBackend backend = FakeBackend.start(Reply.ok("v1")
                .header("Cache-Control", "max-age=1, stale-while-revalidate=60").header("ETag", "\"v1\""));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("MISS", get(client, "/s").header("x-cache"));
            // The refresh's answer is held back: the stale copy must not wait for it.
            backend.replyWith(request -> Reply.ok("v2").header("Cache-Control", "max-age=60").after(refreshMayAnswer));
            RawResponse stale = getUntil(client, "/s", () -> backend.requestCount() == 2);

            assertEquals("STALE", stale.header("x-cache"));
            assertEquals("v1", stale.bodyText());
            assertEquals("\"v1\"", backend.awaitRequest(1).headers().get("if-none-match"), "the refresh is conditional");
            for (int i = 0; i < 3; i++) {
                assertEquals("v1", get(client, "/s").bodyText(), "still stale while the refresh runs");
            }
            assertEquals(2, backend.requestCount(), "one background refresh at a time");

            refreshMayAnswer.complete(null);
            Await.until("the refreshed entry", Duration.ofSeconds(10), () -> {
                try {
                    return "v2".equals(get(client, "/s").bodyText());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals("HIT", get(client, "/s").header("x-cache"));
            assertEquals(2, backend.requestCount(), "refreshed by the background request alone");
        }
    }

    @Test
    void aSuccessfulUnsafeRequestInvalidatesItsTarget() throws Exception {
        try (FakeBackend backend = FakeBackend.start(request -> request.method().equals("GET")
                ? Reply.ok("page").header("Cache-Control", "max-age=60") : Reply.ok("changed"));
                Turnout proxy = TestProxy.start(cached(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/doc");
            assertEquals("HIT", get(client, "/doc").header("x-cache"));

            client.send("POST /doc HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\n\r\nx");
            RawResponse post = client.readResponse();
            assertEquals("BYPASS", post.header("x-cache"));

            assertEquals("MISS", get(client, "/doc").header("x-cache"), "the POST changed it");
            assertEquals("HIT", get(client, "/doc").header("x-cache"), "and the new answer is stored again");
            assertEquals(3, backend.requestCount());
        }
    }

    /** GETs {@code path} until {@code done} holds after a request; returns that request's answer. */
    @Test
    void aBackgroundRefreshOpensNoConnectionBeyondTheBackendsCap() throws Exception {
        try (FakeBackend backend = FakeBackend.start(request -> request.uri().equals("/hang") ? Reply.stall()
                : Reply.ok("v1").header("Cache-Control", "max-age=1, stale-while-revalidate=60"));
                Turnout proxy = TestProxy.start("pools { app { max-connections = 1, backends = [ "
                        + TestProxy.backend("b0", backend, 1) + " ] } }\n"
                        + "routes = [ { name = web, split { app = 100 } } ]");
                RawClient client = RawClient.connect(proxy.address());
                RawClient hung = RawClient.connect(proxy.address())) {
            assertEquals("MISS", get(client, "/s").header("x-cache"));
            hung.send("GET /hang HTTP/1.1\r\nHost: a.test\r\n\r\n");
            backend.awaitRequest(1); // the one connection the cap allows is busy from now on

            RawResponse[] last = new RawResponse[1];
            Await.until("the entry to go stale", Duration.ofSeconds(10), () -> {
                try {
                    last[0] = get(client, "/s");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return "STALE".equals(last[0].header("x-cache"));
            });
            assertEquals("v1", last[0].bodyText());
            assertEquals("STALE", get(client, "/s").header("x-cache"), "the skipped refresh left the entry stale");
            assertEquals(1, backend.connectionCount(), "a refresh stays within the connection cap");
            assertEquals(2, backend.requestCount(), "no refresh reached the backend");
        }
    }

    private static RawResponse getUntil(RawClient client, String path, BooleanSupplier done) {
        RawResponse[] last = new RawResponse[1];
        Await.until("the entry to go stale", Duration.ofSeconds(10), () -> {
            try {
                last[0] = get(client, path);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return done.getAsBoolean();
        });
        return last[0];
    }

    // ---- the cache alone, on a manual clock -------------------------------------------------

    private long now = 1_000_000_000_000L;

    private static HttpRequest request(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    private static HttpResponse answer(String cacheControl, int length) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, cacheControl).setInt(HttpHeaderNames.CONTENT_LENGTH, length);
        return response;
    }

    private static void store(ResponseCache cache, String uri, String cacheControl, int length) {
        ResponseCache.Lookup lookup = cache.lookup("app", "a.test", request(uri), false);
        ResponseCache.Fill fill = lookup.fill(answer(cacheControl, length));
        fill.append(Unpooled.wrappedBuffer(new byte[length]));
        fill.store();
    }

    @Test
    void anEntryGoesStaleWhenItsAgeReachesItsLifetime() {
        ResponseCache cache = new ResponseCache(new CacheConfig(true, 1 << 20, 1 << 16, true, Duration.ofDays(1)), () -> now);
        store(cache, "/a", "max-age=60", 10);

        now += 59_000_000_000L;
        ResponseCache.Lookup fresh = cache.lookup("app", "a.test", request("/a"), false);
        assertEquals(ResponseCache.Result.HIT, fresh.result());
        assertEquals("59", fresh.hit().headers().get(HttpHeaderNames.AGE));
        fresh.hit().release();

        now += 1_000_000_000L;
        assertEquals(ResponseCache.Result.MISS, cache.lookup("app", "a.test", request("/a"), false).result());
    }

    @Test
    void aResourceWhoseAnswerCannotBeStoredIsPassedThroughInsteadOfCoalesced() {
        ResponseCache cache = new ResponseCache(new CacheConfig(true, 1 << 20, 1 << 16, true, Duration.ofDays(1)), () -> now);
        ResponseCache.Lookup leader = cache.lookup("app", "a.test", request("/d"), false);
        ResponseCache.Lookup follower = cache.lookup("app", "a.test", request("/d"), false);
        assertNull(leader.following());
        assertTrue(follower.following() != null, "a concurrent miss waits for the first");

        assertNull(leader.fill(answer("no-store", 1)), "not storable");

        assertNull(cache.lookup("app", "a.test", request("/d"), false).following());
        assertNull(cache.lookup("app", "a.test", request("/d"), false).following(),
                "for a while, misses for it go straight to the backend");
        now += 31_000_000_000L;
        cache.lookup("app", "a.test", request("/d"), false);
        assertTrue(cache.lookup("app", "a.test", request("/d"), false).following() != null, "and coalesce again later");
    }

    @Test
    void aStaleWhileRevalidateWindowServesStaleWithOneRefreshAtATime() {
        ResponseCache cache = new ResponseCache(new CacheConfig(true, 1 << 20, 1 << 16, true, Duration.ofDays(1)), () -> now);
        store(cache, "/w", "max-age=10, stale-while-revalidate=30", 10);
        now += 15_000_000_000L;

        ResponseCache.Lookup first = cache.lookup("app", "a.test", request("/w"), false);
        assertEquals(ResponseCache.Result.STALE, first.result());
        ResponseCache.Lookup refresh = first.backgroundRefresh();
        assertTrue(refresh != null, "the first stale answer starts a refresh");
        assertNull(first.backgroundRefresh(), "only once");
        first.hit().release();
        ResponseCache.Lookup second = cache.lookup("app", "a.test", request("/w"), false);
        assertEquals(ResponseCache.Result.STALE, second.result());
        assertNull(second.backgroundRefresh(), "not while one runs");
        second.hit().release();

        refresh.land(); // it failed: the entry stays stale, and the next stale answer tries again
        ResponseCache.Lookup third = cache.lookup("app", "a.test", request("/w"), false);
        assertTrue(third.backgroundRefresh() != null);
        third.hit().release();

        now += 30_000_000_000L;
        assertEquals(ResponseCache.Result.MISS, cache.lookup("app", "a.test", request("/w"), false).result(),
                "past the window it is a miss");

        store(cache, "/m", "max-age=10, stale-while-revalidate=30, must-revalidate", 10);
        now += 15_000_000_000L;
        assertEquals(ResponseCache.Result.MISS, cache.lookup("app", "a.test", request("/m"), false).result(),
                "must-revalidate forbids serving it stale");
    }

    @Test
    void onlyASuccessfulUnsafeRequestInvalidatesAndOnlyItsTarget() {
        ResponseCache cache = new ResponseCache(new CacheConfig(true, 1 << 20, 1 << 16, true, Duration.ofDays(1)), () -> now);
        store(cache, "/x", "max-age=60", 10);
        store(cache, "/y", "max-age=60", 10);
        HttpRequest delete = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.DELETE, "/x");

        cache.lookup("canary", "a.test", delete, false)
                .answered(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.INTERNAL_SERVER_ERROR));
        assertEquals(ResponseCache.Result.HIT, hitResult(cache, "/x"), "a failed DELETE changed nothing");

        cache.lookup("canary", "a.test", delete, false)
                .answered(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT));
        assertEquals(ResponseCache.Result.MISS, hitResult(cache, "/x"), "invalid in every pool, not only the DELETE's");
        assertEquals(ResponseCache.Result.HIT, hitResult(cache, "/y"));
        store(cache, "/x", "max-age=60", 10);
        assertEquals(ResponseCache.Result.HIT, hitResult(cache, "/x"), "an answer stored afterwards is valid");
    }

    private static ResponseCache.Result hitResult(ResponseCache cache, String uri) {
        ResponseCache.Lookup lookup = cache.lookup("app", "a.test", request(uri), false);
        if (lookup.hit() != null) {
            lookup.hit().release();
        }
        lookup.land();
        return lookup.result();
    }

    @Test
    void manyKeysStayWithinTheMemoryBound() {
        long maxSize = 256 * 1024;
        ResponseCache cache = new ResponseCache(new CacheConfig(true, maxSize, 16 * 1024, true, Duration.ofDays(1)), () -> now);
        for (int i = 0; i < 2000; i++) {
            store(cache, "/k" + i, "max-age=600", 4096);
        }
        assertTrue(cache.weight() <= maxSize, "held " + cache.weight() + " of at most " + maxSize);
        assertTrue(cache.weight() > maxSize / 2, "and still holds a useful share: " + cache.weight());
    }

    /** Stores bytes {@code first} to {@code last} of a representation of {@code length} bytes as a 206. */
    private static ResponseCache.Fill part(ResponseCache cache, String uri, long first, long last, long length) {
        HttpRequest request = request(uri);
        request.headers().set(HttpHeaderNames.RANGE, "bytes=" + first + "-" + last);
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "max-age=60").set(HttpHeaderNames.ETAG, "\"v1\"")
                .set(HttpHeaderNames.CONTENT_RANGE, "bytes " + first + "-" + last + "/" + length)
                .set(HttpHeaderNames.CONTENT_LENGTH, last - first + 1);
        ResponseCache.Fill fill = cache.lookup("app", "a.test", request, false).fill(response);
        if (fill != null) {
            fill.append(Unpooled.wrappedBuffer(new byte[(int) (last - first + 1)]));
            fill.store();
        }
        return fill;
    }

    private static ResponseCache.Result rangeResult(ResponseCache cache, String uri, String range) {
        HttpRequest request = request(uri);
        request.headers().set(HttpHeaderNames.RANGE, range);
        ResponseCache.Lookup lookup = cache.lookup("app", "a.test", request, false);
        if (lookup.hit() != null) {
            assertEquals(206, lookup.hit().status().code());
            lookup.hit().release();
        }
        lookup.land();
        return lookup.result();
    }

    @Test
    void partsThatNeverCompleteGoStaleLikeAnyEntry() {
        ResponseCache cache = new ResponseCache(new CacheConfig(true, 1 << 20, 1 << 16, true, Duration.ofDays(1)), () -> now);
        part(cache, "/p", 0, 99, 1000);
        now += 59_000_000_000L;
        assertEquals(ResponseCache.Result.HIT, rangeResult(cache, "/p", "bytes=10-20"));
        now += 1_000_000_000L;
        assertEquals(ResponseCache.Result.MISS, rangeResult(cache, "/p", "bytes=10-20"), "stale at its max-age");
    }

    @Test
    void partsCountAgainstTheMemoryBound() {
        long maxSize = 256 * 1024;
        ResponseCache cache = new ResponseCache(new CacheConfig(true, maxSize, 16 * 1024, true, Duration.ofDays(1)), () -> now);
        for (int i = 0; i < 2000; i++) {
            part(cache, "/k" + i, 0, 4095, 8192);
        }
        assertTrue(cache.weight() <= maxSize, "held " + cache.weight() + " of at most " + maxSize);
        assertTrue(cache.weight() > maxSize / 2, "and still holds a useful share: " + cache.weight());
    }

    @Test
    void aPartOfARepresentationOverTheObjectLimitIsNotStored() {
        ResponseCache cache = new ResponseCache(new CacheConfig(true, 1 << 20, 1 << 16, true, Duration.ofDays(1)), () -> now);
        assertNull(part(cache, "/big", 0, 99, (1 << 16) + 1), "it could never be completed within the limit");
        assertTrue(part(cache, "/fits", 0, 99, 1 << 16) != null);
        assertEquals(ResponseCache.Result.MISS, rangeResult(cache, "/big", "bytes=0-9"));
        assertEquals(ResponseCache.Result.HIT, rangeResult(cache, "/fits", "bytes=0-9"));
    }

    @Test
    void aPartWhoseBodyIsNotItsContentRangeIsNotStored() {
        ResponseCache cache = new ResponseCache(new CacheConfig(true, 1 << 20, 1 << 16, true, Duration.ofDays(1)), () -> now);
        HttpRequest request = request("/short");
        request.headers().set(HttpHeaderNames.RANGE, "bytes=0-99");
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "max-age=60").set(HttpHeaderNames.ETAG, "\"v1\"")
                .set(HttpHeaderNames.CONTENT_RANGE, "bytes 0-99/1000");
        ResponseCache.Fill fill = cache.lookup("app", "a.test", request, false).fill(response);
        fill.append(Unpooled.wrappedBuffer(new byte[50]));
        fill.store();
        assertEquals(ResponseCache.Result.MISS, rangeResult(cache, "/short", "bytes=0-9"));
    }
}
