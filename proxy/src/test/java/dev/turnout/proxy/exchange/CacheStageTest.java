package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.accesslog.LoggerAccessLog;
import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.config.CacheConfig;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.route.RouteTable;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** An exchange's way through the cache, driven as the exchange drives it, with a manual clock. */
class CacheStageTest {

    private long now = 1_000_000_000L;
    private final ResponseCache cache = new ResponseCache(new CacheConfig(true, 1 << 20, 1 << 16, true, Duration.ofDays(1)),
            () -> now);
    private final FrontendShared shared = new FrontendShared(null, null, null, cache, null, new LoggerAccessLog(), null);
    private final Pool pool = RouteTable.fromConfig(ConfigLoader.parse("turnout { listen = \"127.0.0.1:0\", state-file = \"\"\n"
            + "pools { app { backends = [ { id = b0, address = \"127.0.0.1:9\" } ] } }\n"
            + "routes = [ { name = r, split { app = 100 } } ] }")).pools().get("app");

    private static HttpRequest get(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    private static HttpResponse answer(HttpResponseStatus status, String cacheControl, int length) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, cacheControl).setInt(HttpHeaderNames.CONTENT_LENGTH, length);
        return response;
    }

    /** One exchange that misses and relays {@code body} from the backend, stored as it passes. */
    private void relay(CacheStage stage, String uri, String cacheControl, String body) {
        assertEquals(CacheStage.Found.MISS, stage.lookUp(pool, "a.test", get(uri), false, true));
        HttpResponse head = answer(HttpResponseStatus.OK, cacheControl, body.length());
        assertNull(stage.insteadOf(head), "a fresh answer goes to the client as it is");
        stage.relaying(head, HttpMethod.GET);
        assertEquals("MISS", head.headers().get("x-cache"));
        stage.append(Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.US_ASCII)));
        stage.store();
        stage.end(null);
    }

    @Test
    void aRelayedAnswerIsStoredAndTheNextRequestHitsIt() {
        CacheStage stage = new CacheStage(shared);
        relay(stage, "/page", "max-age=60", "fresh");

        assertEquals(CacheStage.Found.HIT, stage.lookUp(pool, "a.test", get("/page"), false, true));
        FullHttpResponse hit = stage.hit(pool, "a.test", false, null, null, null);
        try {
            assertEquals("fresh", hit.content().toString(StandardCharsets.US_ASCII));
        } finally {
            hit.release();
            stage.end(null);
        }
    }

    @Test
    void aConcurrentMissWaitsForTheFirstAndThenHits() {
        CacheStage leader = new CacheStage(shared);
        CacheStage follower = new CacheStage(shared);
        assertEquals(CacheStage.Found.MISS, leader.lookUp(pool, "a.test", get("/slow"), false, true));
        assertEquals(CacheStage.Found.IN_FLIGHT, follower.lookUp(pool, "a.test", get("/slow"), false, true));
        AtomicBoolean landed = new AtomicBoolean();
        follower.whenLanded(() -> landed.set(true));

        HttpResponse head = answer(HttpResponseStatus.OK, "max-age=60", 1);
        leader.relaying(head, HttpMethod.GET);
        leader.append(Unpooled.wrappedBuffer(new byte[] {'x'}));
        leader.store();
        leader.end(null);
        assertTrue(landed.get(), "the leader's end lets the follower go");

        assertEquals(CacheStage.Found.HIT, follower.lookUp(pool, "a.test", get("/slow"), false, false));
        follower.hit(pool, "a.test", false, null, null, null).release();
        follower.end(null);
    }

    @Test
    void aRequestThatWaitedOnceNeverWaitsAgain() {
        CacheStage leader = new CacheStage(shared);
        CacheStage follower = new CacheStage(shared);
        leader.lookUp(pool, "a.test", get("/d"), false, true);
        assertEquals(CacheStage.Found.MISS, follower.lookUp(pool, "a.test", get("/d"), false, false));
        follower.end(null);
        leader.end(null);
    }

    @Test
    void aStaleEntryStandsInForAFailingBackend() {
        CacheStage stage = new CacheStage(shared);
        relay(stage, "/s", "max-age=1, stale-if-error=60", "old");
        now += 2_000_000_000L;

        assertEquals(CacheStage.Found.MISS, stage.lookUp(pool, "a.test", get("/s"), false, true));
        FullHttpResponse stale = stage.insteadOf(answer(HttpResponseStatus.BAD_GATEWAY, "no-store", 0));
        try {
            assertEquals("old", stale.content().toString(StandardCharsets.US_ASCII));
            assertEquals("STALE", stale.headers().get("x-cache"));
        } finally {
            stale.release();
            stage.end(null);
        }
        assertNull(new CacheStage(shared).staleOnError(), "no lookup, nothing to stand in");
    }
}
