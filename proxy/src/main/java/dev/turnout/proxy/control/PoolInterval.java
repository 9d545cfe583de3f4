package dev.turnout.proxy.control;

import dev.turnout.proxy.stats.RequestTally;

/**
 * What one pool did over a rollout's interval: its exact counts, and a uniform sample of its durations.
 *
 * @param latencySeconds the sampled durations, sorted
 */
record PoolInterval(RequestTally.Snapshot counts, double[] latencySeconds) {

    /** The median of the sample; 0 when it is empty. */
    double medianSeconds() {
        int n = latencySeconds.length;
        if (n == 0) {
            return 0;
        }
        return n % 2 == 1 ? latencySeconds[n / 2] : (latencySeconds[n / 2 - 1] + latencySeconds[n / 2]) / 2;
    }
}
