package dev.turnout.proxy.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.Await;
import java.lang.management.ManagementFactory;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory bound documented for rate limits (README, docs/configuration.md): a bucket costs at most
 * {@value #DOCUMENTED_BYTES_PER_KEY} bytes of heap with its key (keys over 128 characters are shortened),
 * and a route holds at most {@code max-keys} of them. Measured as the heap left after a full collection,
 * with 100,000 distinct keys held and then dropped.
 */
class RateLimiterMemoryTest {

    private static final Logger LOG = LoggerFactory.getLogger("turnout.test.load");
    static final int DOCUMENTED_BYTES_PER_KEY = 300;
    private static final int KEYS = 100_000;

    private static long heapAfterCollection() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static double bytesPerKey(IntFunction<String> key) {
        long before = heapAfterCollection();
        RateLimiter limiter = new RateLimiter(new RateLimit(1, 1, 1, RateLimit.Key.CLIENT_IP, KEYS), () -> 1, System::nanoTime);
        for (int i = 0; i < KEYS; i++) {
            limiter.take(key.apply(i));
        }
        assertEquals(KEYS, limiter.keys());
        long held = heapAfterCollection() - before;
        assertEquals(KEYS, limiter.keys(), "still held while measured");
        return (double) held / KEYS;
    }

    @Test
    void aBucketWithAnAddressForKeyCostsLessThanTheDocumentedBound() {
        double perKey = bytesPerKey(i -> "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255));
        LOG.info("rate limit bucket with an IPv4 key: {} bytes", Math.round(perKey));
        assertTrue(perKey <= DOCUMENTED_BYTES_PER_KEY, perKey + " bytes per key");
    }

    @Test
    void aBucketWithTheLongestKeyCostsLessThanTheDocumentedBound() {
        String padding = "k".repeat(4000);
        double perKey = bytesPerKey(i -> RateLimiter.shortened(padding + i));
        LOG.info("rate limit bucket with a shortened 4 KB key: {} bytes", Math.round(perKey));
        assertTrue(perKey <= DOCUMENTED_BYTES_PER_KEY, perKey + " bytes per key");
    }

    @Test
    void keysPastMaxKeysAreEvicted() {
        RateLimiter limiter = new RateLimiter(new RateLimit(1, 1, 1, RateLimit.Key.CLIENT_IP, 10_000), () -> 1,
                System::nanoTime);
        for (int i = 0; i < KEYS; i++) {
            limiter.take("key-" + i);
        }
        Await.until("eviction down to max-keys", () -> limiter.keys() <= 10_000);
    }
}
