package dev.turnout.proxy.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RateLimitTest {

    @Test
    void readsRatesPerSecondMinuteAndHour() {
        assertArrayEquals(new long[] {100, 1}, RateLimit.parseRate("100/s"));
        assertArrayEquals(new long[] {6000, 60}, RateLimit.parseRate("6000/m"));
        assertArrayEquals(new long[] {10, 3600}, RateLimit.parseRate("10 / h"));
        for (String bad : new String[] {"0/s", "100", "100/d", "-1/s", "1.5/s", "/s", "2000000000/s"}) {
            assertThrows(IllegalArgumentException.class, () -> RateLimit.parseRate(bad), bad);
        }
    }

    @Test
    void readsKeys() {
        assertEquals(RateLimit.Key.CLIENT_IP, RateLimit.Key.parse("client-ip"));
        assertEquals(new RateLimit.Key(RateLimit.KeyKind.HEADER, "X-Api-Key"), RateLimit.Key.parse("header:X-Api-Key"));
        assertEquals("cookie:sid", RateLimit.Key.parse("cookie:sid").toString());
        for (String bad : new String[] {"ip", "header:", "cookie:a b", "query:q"}) {
            assertThrows(IllegalArgumentException.class, () -> RateLimit.Key.parse(bad), bad);
        }
    }

    @Test
    void theDefaultBurstIsOneSecondsWorth() {
        assertEquals(100, RateLimit.defaultBurst(100, 1));
        assertEquals(100, RateLimit.defaultBurst(6000, 60));
        assertEquals(1, RateLimit.defaultBurst(10, 3600));
    }

    @Test
    void refusesARateOrBurstBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> new RateLimit(0, 1, 1, RateLimit.Key.CLIENT_IP, 10));
        assertThrows(IllegalArgumentException.class, () -> new RateLimit(1, 1, 0, RateLimit.Key.CLIENT_IP, 10));
        assertThrows(IllegalArgumentException.class, () -> new RateLimit(1, 7, 1, RateLimit.Key.CLIENT_IP, 10));
        assertEquals(10_000_000L, new RateLimit(100, 1, 1, RateLimit.Key.CLIENT_IP, 10).intervalNanos());
        assertEquals("6000/m burst 50 per header:K", new RateLimit(6000, 60, 50,
                new RateLimit.Key(RateLimit.KeyKind.HEADER, "K"), 10).toString());
    }
}
