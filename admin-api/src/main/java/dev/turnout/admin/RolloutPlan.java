package dev.turnout.admin;

import java.time.Duration;
import java.util.List;

/**
 * A progressive canary as requested: raise {@code to}'s share of a route through {@code steps},
 * judging each step after {@code interval} against {@code from}.
 *
 * @param maxErrorRate the most by which the canary's 5xx share may exceed the stable pool's (a difference of fractions)
 * @param maxP95Ratio  the most the canary's p95 may be, as a multiple of the stable pool's
 * @param minRequests  requests needed on each side before an interval is judged
 */
public record RolloutPlan(String from, String to, List<Integer> steps, Duration interval, double maxErrorRate,
        double maxP95Ratio, long minRequests) {

    public RolloutPlan {
        steps = List.copyOf(steps);
    }
}
