package dev.turnout.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The wait before each 401, with a clock the test moves. */
class FailedAuthThrottleTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final FailedAuthThrottle throttle = new FailedAuthThrottle(now::get);

    private static InetAddress peer(int n) throws Exception {
        return InetAddress.getByAddress(new byte[] {10, 0, (byte) (n >> 8), (byte) n});
    }

    private void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }

    @Test
    void eachWrongTokenInARowWaitsTwiceAsLongUpToTheMaximum() throws Exception {
        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            Duration wait = throttle.failed(peer(1));
            waits.add(wait);
            advance(wait); // answered, then the next guess
        }

        assertEquals(List.of(Duration.ZERO, Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400),
                Duration.ofMillis(800), Duration.ofMillis(1600), Duration.ofMillis(3200), Duration.ofSeconds(5),
                Duration.ofSeconds(5)), waits);
    }

    @Test
    void wrongTokensSentAtOnceAreAnsweredOneAfterAnother() throws Exception {
        throttle.failed(peer(1));

        assertEquals(Duration.ofMillis(100), throttle.failed(peer(1)));
        assertEquals(Duration.ofMillis(300), throttle.failed(peer(1)));
        assertEquals(Duration.ofMillis(700), throttle.failed(peer(1)));
        for (int i = 0; i < 20; i++) {
            throttle.failed(peer(1));
        }
        assertEquals(FailedAuthThrottle.MAX_WAIT, throttle.failed(peer(1)), "no answer waits longer than the maximum");
    }

    @Test
    void peersAreCountedApartAndARightTokenClearsTheCount() throws Exception {
        throttle.failed(peer(1));
        throttle.failed(peer(1));

        assertEquals(Duration.ZERO, throttle.failed(peer(2)), "another peer starts afresh");
        throttle.succeeded(peer(1));
        assertEquals(Duration.ZERO, throttle.failed(peer(1)), "a right token clears the peer's count");
    }

    @Test
    void aPeerSilentLongEnoughStartsAfresh() throws Exception {
        throttle.failed(peer(1));
        throttle.failed(peer(1));
        advance(FailedAuthThrottle.FORGET_AFTER.plusSeconds(1));

        assertEquals(Duration.ZERO, throttle.failed(peer(1)));
    }

    @Test
    void theNumberOfPeersRememberedIsBounded() throws Exception {
        for (int i = 0; i < FailedAuthThrottle.MAX_PEERS + 100; i++) {
            throttle.failed(peer(i));
        }

        assertEquals(FailedAuthThrottle.MAX_PEERS, throttle.peers());
    }
}
