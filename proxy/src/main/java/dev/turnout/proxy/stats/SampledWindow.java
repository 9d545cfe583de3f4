package dev.turnout.proxy.stats;

/**
 * The recent part of a running {@link RequestTally}: its owner adds a snapshot about once a second, and
 * what was counted over the last seconds is the total now less the oldest snapshot kept. Until the window
 * has filled, the tally is younger than the window, so all of it is recent. Not thread-safe: the owner
 * adds and reads under one lock.
 */
public final class SampledWindow {

    private final RequestTally.Snapshot[] samples;
    private int next;
    private int held;

    /** Keeps the snapshots of the last {@code seconds} seconds, and the one before them. */
    public SampledWindow(int seconds) {
        if (seconds < 1) {
            throw new IllegalArgumentException("seconds: " + seconds + " (expected: at least 1)");
        }
        this.samples = new RequestTally.Snapshot[seconds + 1];
    }

    /** Keeps {@code now}, forgetting the oldest snapshot once the window is full. */
    public void add(RequestTally.Snapshot now) {
        samples[next] = now;
        next = (next + 1) % samples.length;
        held = Math.min(held + 1, samples.length);
    }

    /**
     * What was counted between the oldest snapshot kept and {@code now}: all of {@code now} while the
     * window fills, or when the totals went back (the counted thing was removed and added again).
     */
    public RequestTally.Snapshot recent(RequestTally.Snapshot now) {
        if (held < samples.length) {
            return now;
        }
        RequestTally.Snapshot oldest = samples[next];
        return now.requests() < oldest.requests() ? now : now.since(oldest);
    }
}
