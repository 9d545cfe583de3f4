package dev.turnout.proxy.control;

import dev.turnout.proxy.control.Rollout.Tests;
import java.util.Locale;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.commons.statistics.inference.AlternativeHypothesis;
import org.apache.commons.statistics.inference.FisherExactTest;
import org.apache.commons.statistics.inference.MannWhitneyUTest;

/**
 * The statistical judge's comparison of one interval: the canary's durations against the stable
 * pool's by a one-sided Mann-Whitney U test, their 5xx rates by Fisher's exact test when any expected
 * count is below 5 and by the two-proportion z test otherwise. A difference fails the step only when it
 * is significant (p below 1 - confidence) and at least as large as the plan allows, so a canary that
 * is the same as the stable pool passes however noisy a short interval is, and a trivially slower
 * one passes even when a large sample makes the difference significant.
 */
final class StatisticalJudge {

    static final String FISHER = "fisher";
    static final String TWO_PROPORTION = "two-proportion";
    /** Below this expected count in any cell of the 2×2 table the normal approximation is unsafe. */
    private static final double MIN_EXPECTED_COUNT = 5;
    private static final MannWhitneyUTest LATER = MannWhitneyUTest.withDefaults().with(AlternativeHypothesis.GREATER_THAN);
    private static final FisherExactTest MORE_ERRORS = FisherExactTest.withDefaults().with(AlternativeHypothesis.GREATER_THAN);
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    /**
     * The tests' findings and, when the canary fails, why.
     *
     * @param failure null when the step passes
     * @param summary the figures in a line, for a passing verdict
     */
    record Finding(Tests tests, String failure, String summary) {
    }

    private StatisticalJudge() {
    }

    static Finding compare(Rollout rollout, PoolInterval stable, PoolInterval canary) {
        double alpha = 1 - rollout.confidence();
        double[] stableTimes = stable.latencySeconds();
        double[] canaryTimes = canary.latencySeconds();
        double u = 0;
        double latencyPValue = 1;
        double probabilitySlower = 0.5;
        if (stableTimes.length > 0 && canaryTimes.length > 0) {
            MannWhitneyUTest.Result result = LATER.test(canaryTimes, stableTimes);
            u = result.getStatistic();
            latencyPValue = result.getPValue();
            probabilitySlower = u / ((double) canaryTimes.length * stableTimes.length);
        }
        double stableMedian = stable.medianSeconds();
        double canaryMedian = canary.medianSeconds();
        double medianIncrease = stableMedian > 0 ? canaryMedian / stableMedian - 1 : 0;

        long canaryErrors = canary.counts().serverErrors();
        long stableErrors = stable.counts().serverErrors();
        long canaryRequests = canary.counts().requests();
        long stableRequests = stable.counts().requests();
        boolean small = minExpectedCount(canaryErrors, canaryRequests, stableErrors, stableRequests) < MIN_EXPECTED_COUNT;
        double errorPValue = small ? fisher(canaryErrors, canaryRequests, stableErrors, stableRequests)
                : twoProportion(canaryErrors, canaryRequests, stableErrors, stableRequests);
        double errorRateIncrease = canary.counts().errorRate() - stable.counts().errorRate();
        Tests tests = new Tests(u, latencyPValue, probabilitySlower, medianIncrease, small ? FISHER : TWO_PROPORTION,
                errorPValue, errorRateIncrease);

        String errors = String.format(Locale.ROOT, "5xx %.2f%% vs %.2f%% (%+.2f points, allowed +%.2f; p=%.3g, %s)",
                100 * canary.counts().errorRate(), 100 * stable.counts().errorRate(), 100 * errorRateIncrease,
                100 * rollout.maxErrorRate(), errorPValue, tests.errorTest());
        String latency = String.format(Locale.ROOT, "median %.2f ms vs %.2f ms (%+.1f%%, allowed +%.1f%%; U=%.1f, p=%.3g)",
                1000 * canaryMedian, 1000 * stableMedian, 100 * medianIncrease, 100 * rollout.maxLatencyIncrease(), u,
                latencyPValue);
        String significance = String.format(Locale.ROOT, " below %.3g", alpha);
        String failure = null;
        if (errorPValue < alpha && errorRateIncrease > rollout.maxErrorRate()) {
            failure = rollout.to() + " " + errors + significance;
        } else if (latencyPValue < alpha && medianIncrease >= rollout.maxLatencyIncrease()) {
            failure = rollout.to() + " " + latency + significance;
        }
        return new Finding(tests, failure, rollout.to() + " vs " + rollout.from() + ": " + latency + "; " + errors);
    }

    /** The smallest count the 2×2 table (errors and others, canary and stable) would hold if the rates were equal. */
    private static double minExpectedCount(long canaryErrors, long canaryRequests, long stableErrors, long stableRequests) {
        double total = canaryRequests + stableRequests;
        double errors = canaryErrors + stableErrors;
        double others = total - errors;
        double smallerSide = Math.min(canaryRequests, stableRequests);
        return Math.min(errors, others) * smallerSide / total;
    }

    private static double fisher(long canaryErrors, long canaryRequests, long stableErrors, long stableRequests) {
        int[][] table = {
            {Math.toIntExact(canaryErrors), Math.toIntExact(canaryRequests - canaryErrors)},
            {Math.toIntExact(stableErrors), Math.toIntExact(stableRequests - stableErrors)},
        };
        return MORE_ERRORS.test(table).getPValue();
    }

    /** One-sided z test of two proportions with the pooled rate; the caller ensures neither all nor none failed. */
    private static double twoProportion(long canaryErrors, long canaryRequests, long stableErrors, long stableRequests) {
        double pooled = (double) (canaryErrors + stableErrors) / (canaryRequests + stableRequests);
        double standardError = Math.sqrt(pooled * (1 - pooled) * (1.0 / canaryRequests + 1.0 / stableRequests));
        double z = ((double) canaryErrors / canaryRequests - (double) stableErrors / stableRequests) / standardError;
        return STANDARD_NORMAL.survivalProbability(z);
    }
}
