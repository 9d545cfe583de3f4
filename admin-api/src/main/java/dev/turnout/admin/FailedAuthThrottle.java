package dev.turnout.admin;

import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows down a peer that keeps sending wrong tokens: its first 401 is answered at once, each one after
 * that waits twice as long as the one before (from {@link #FIRST_DELAY} to {@link #MAX_DELAY}), and its
 * 401s are answered one after another, so that guessing on many connections at once goes no faster. A
 * right token clears the peer's record. The wait is a scheduled answer, never a sleeping thread.
 *
 * <p>At most {@link #MAX_PEERS} peers are remembered (the least recently seen go first), and a peer
 * silent for {@link #FORGET_AFTER} starts afresh.
 */
final class FailedAuthThrottle {

    static final Duration FIRST_DELAY = Duration.ofMillis(100);
    static final Duration MAX_DELAY = Duration.ofSeconds(5);
    /** However many wrong tokens a peer has queued, none waits longer than this for its answer. */
    static final Duration MAX_WAIT = Duration.ofSeconds(30);
    static final Duration FORGET_AFTER = Duration.ofMinutes(10);
    static final int MAX_PEERS = 4096;

    private final LongSupplier nanoTime;
    private final Map<InetAddress, Failures> byPeer = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Failures> eldest) {
            return size() > MAX_PEERS;
        }
    };

    FailedAuthThrottle(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** Records a wrong token from {@code peer}; returns how long to wait before answering it. */
    synchronized Duration failed(InetAddress peer) {
        long now = nanoTime.getAsLong();
        Failures failures = byPeer.get(peer);
        if (failures == null || now - failures.lastNanos > FORGET_AFTER.toNanos()) {
            failures = new Failures();
            byPeer.put(peer, failures);
        }
        failures.count++;
        failures.lastNanos = now;
        if (failures.count == 1) {
            return Duration.ZERO;
        }
        long delay = FIRST_DELAY.toNanos() << Math.min(failures.count - 2, 20);
        long answerAt = Math.max(now, failures.answeredUntilNanos) + Math.min(delay, MAX_DELAY.toNanos());
        answerAt = Math.min(answerAt, now + MAX_WAIT.toNanos());
        failures.answeredUntilNanos = answerAt;
        return Duration.ofNanos(answerAt - now);
    }

    /** A right token from {@code peer}: its wrong ones are forgotten. */
    synchronized void succeeded(InetAddress peer) {
        byPeer.remove(peer);
    }

    synchronized int peers() {
        return byPeer.size();
    }

    /** One peer's wrong tokens in a row. */
    private static final class Failures {
        private int count;
        private long lastNanos;
        private long answeredUntilNanos;
    }
}
