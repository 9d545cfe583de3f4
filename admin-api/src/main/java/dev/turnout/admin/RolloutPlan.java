package dev.turnout.admin;

import java.time.Duration;
import java.util.List;

/**
 * A progressive canary as requested: raise {@code to}'s share of a route through {@code steps},
 * judging each step after {@code interval} against {@code from}.
 *
 * @param maxErrorRate       the most by which the canary's 5xx share may exceed the stable pool's (a difference
 *                           of fractions); with the statistical judge, only a significant excess counts
 * @param maxP95Ratio        the most the canary's p95 may be, as a multiple of the stable pool's (threshold judge)
 * @param minRequests        requests needed on each side before an interval is judged
 * @param judge              {@link RolloutView#MANN_WHITNEY} or {@link RolloutView#THRESHOLD}
 * @param confidence         the statistical judge's confidence: a difference is significant when p is below 1 - this
 * @param maxLatencyIncrease the smallest rise of the canary's median over the stable one's (a fraction) that
 *                           fails a step once significant (statistical judge)
 */
public record RolloutPlan(String from, String to, List<Integer> steps, Duration interval, double maxErrorRate,
        double maxP95Ratio, long minRequests, String judge, double confidence, double maxLatencyIncrease) {

    public RolloutPlan {
        steps = List.copyOf(steps);
    }
}
