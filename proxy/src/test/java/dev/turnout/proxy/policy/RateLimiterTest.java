package dev.turnout.proxy.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token buckets on a clock the test steps: no sleeping, no timing. */
class RateLimiterTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    // Negative on purpose: System.nanoTime may be, and the buckets must not care.
    private final AtomicLong now = new AtomicLong(-5 * SECOND);
    private final AtomicInteger instances = new AtomicInteger(1);

    private RateLimiter limiter(long perSecond, int burst, RateLimit.Key key) {
        return new RateLimiter(new RateLimit(perSecond, 1, burst, key, 1000), instances::get, now::get);
    }

    private static int passes(RateLimiter limiter, String key, int tries) {
        int passed = 0;
        for (int i = 0; i < tries; i++) {
            if (limiter.take(key) == 0) {
                passed++;
            }
        }
        return passed;
    }

    @Test
    void aFullBucketLetsABurstThroughThenOnePerInterval() {
        RateLimiter limiter = limiter(10, 5, RateLimit.Key.CLIENT_IP);
        assertEquals(5, passes(limiter, "a", 8), "the burst at once");
        long wait = limiter.take("a");
        assertEquals(SECOND / 10, wait, "the next token comes one interval (100 ms) after the burst");
        now.addAndGet(SECOND / 10);
        assertEquals(1, passes(limiter, "a", 3), "one token per interval");
        now.addAndGet(10 * SECOND);
        assertEquals(5, passes(limiter, "a", 10), "refilled up to the burst, no further");
        assertEquals(3 + 2 + 1 + 5, limiter.refused());
    }

    @Test
    void aSteadyRateAtTheLimitIsNeverRefused() {
        RateLimiter limiter = limiter(50, 1, RateLimit.Key.CLIENT_IP);
        for (int i = 0; i < 500; i++) {
            assertEquals(0, limiter.take("a"), "request " + i);
            now.addAndGet(SECOND / 50);
        }
        assertEquals(0, limiter.refused());
    }

    @Test
    void keysAreCountedApart() {
        RateLimiter limiter = limiter(1, 2, RateLimit.Key.CLIENT_IP);
        assertEquals(2, passes(limiter, "192.0.2.1", 5));
        assertEquals(2, passes(limiter, "192.0.2.2", 5));
        assertEquals(2, limiter.keys());
    }

    @Test
    void theKeyIsTheClientTheHeaderOrTheCookie() {
        HttpHeaders headers = new DefaultHttpHeaders().add("X-Api-Key", "k1")
                .add("Cookie", "theme=dark; session = s-42 ;other=x").add("Cookie", "late=1");
        assertEquals("192.0.2.1", limiter(1, 1, RateLimit.Key.CLIENT_IP).keyOf("192.0.2.1", headers));
        assertEquals("k1", limiter(1, 1, RateLimit.Key.parse("header:x-api-key")).keyOf("192.0.2.1", headers));
        assertEquals("s-42", limiter(1, 1, RateLimit.Key.parse("cookie:session")).keyOf("192.0.2.1", headers));
        assertEquals("1", limiter(1, 1, RateLimit.Key.parse("cookie:late")).keyOf("192.0.2.1", headers));
        String fallback = limiter(1, 1, RateLimit.Key.parse("cookie:absent")).keyOf("192.0.2.1", headers);
        assertNotEquals("192.0.2.1", fallback, "a request without the cookie is counted by its address, apart from values");
        assertTrue(fallback.endsWith("192.0.2.1"));
        assertNull(RateLimiter.cookie(headers, "sess"), "a name is matched whole");
        assertNull(RateLimiter.cookie(new DefaultHttpHeaders().add("Cookie", "novalue; =x"), "novalue"));
    }

    @Test
    void inAFleetEachInstanceAllowsItsShareOfTheRateAndBurst() {
        RateLimiter limiter = limiter(30, 9, RateLimit.Key.CLIENT_IP);
        instances.set(3);
        assertEquals(3, passes(limiter, "a", 10), "a third of the burst");
        assertEquals(3 * (SECOND / 30), limiter.take("a"), "a third of the rate: one request every 100 ms");
        now.addAndGet(SECOND);
        assertEquals(3, passes(limiter, "a", 20), "refilled to its share of the burst");
        instances.set(1);
        now.addAndGet(10 * SECOND);
        assertEquals(9, passes(limiter, "a", 20), "alone again: the whole burst");
        assertEquals(SECOND / 30, limiter.take("a"), "and the whole rate");
    }

    @Test
    void concurrentTakersNeverPassMoreThanTheBurst() throws Exception {
        RateLimiter limiter = limiter(1, 1000, RateLimit.Key.CLIENT_IP);
        AtomicInteger passed = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                passed.addAndGet(passes(limiter, "shared", 1000));
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(1000, passed.get(), "the clock stands still: exactly the burst passes");
        assertEquals(3000, limiter.refused());
    }
}
