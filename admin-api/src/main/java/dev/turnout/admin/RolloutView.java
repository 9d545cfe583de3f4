package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rollout as the admin API shows it (and as the state file keeps it).
 *
 * @param state    {@code running}, {@code promoted}, {@code rolled-back} or {@code aborted}
 * @param step     the plan's step in force, in percent; {@code split} shows the share the canary really
 *                 has, which a cap by backends in rotation may hold below it
 * @param interval as requested, for example {@code 30s}
 * @param judge    {@value #MANN_WHITNEY} or {@value #THRESHOLD}; a rollout saved before there was a choice
 *                 (no judge in the state file) keeps the threshold rule it was started with
 * @param reason   why it ended, when it did
 * @param verdicts every judgement and event, oldest first, with the figures it used
 */
@JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RolloutView(String route, String state, String from, String to, List<Integer> steps, String interval,
        long intervalMillis, double maxErrorRate, double maxP95Ratio, long minRequests, String judge, double confidence,
        double maxLatencyIncrease, int step, Map<String, Integer> split, String started, String reason,
        List<Verdict> verdicts) {

    public static final String RUNNING = "running";
    public static final String PROMOTED = "promoted";
    public static final String ROLLED_BACK = "rolled-back";
    public static final String ABORTED = "aborted";
    /** The statistical judge: Mann-Whitney U on latencies, Fisher or two-proportion on 5xx. */
    public static final String MANN_WHITNEY = "mann-whitney";
    /** Fixed limits on the p95 ratio and the 5xx difference. */
    public static final String THRESHOLD = "threshold";
    public static final double DEFAULT_CONFIDENCE = 0.95;
    public static final double DEFAULT_MAX_LATENCY_INCREASE = 0.10;

    public RolloutView {
        if (judge == null) {
            judge = THRESHOLD;
            confidence = DEFAULT_CONFIDENCE;
            maxLatencyIncrease = DEFAULT_MAX_LATENCY_INCREASE;
        }
        steps = List.copyOf(steps);
        split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
        verdicts = List.copyOf(verdicts);
    }

    public boolean running() {
        return RUNNING.equals(state);
    }

    /**
     * One entry of the trail.
     *
     * @param outcome {@code start}, {@code pass}, {@code wait}, {@code fail}, {@code step} (the next share
     *                applied), {@code promote}, {@code rollback}, {@code abort} or {@code resume}
     * @param step    the canary's real share while the figures were gathered (or, for {@code step}, from now on)
     * @param tests   the statistical judge's tests of a judged interval; null for other entries and the threshold judge
     */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Verdict(String at, String outcome, int step, String reason, Figures stable, Figures canary,
            Tests tests) {
    }

    /**
     * One pool's figures over the judged interval.
     *
     * @param p95Seconds     from the pool's duration histogram (within 12.5 %)
     * @param medianSeconds  the median of the latency sample
     * @param latencySamples durations in the sample (the reservoir keeps a uniform sample of at most 2048)
     */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    public record Figures(String pool, long requests, long errors, double errorRate, double p95Seconds,
            double medianSeconds, long latencySamples) {
    }

    /**
     * The statistical judge's findings for one interval; each p-value is one-sided (the canary worse).
     *
     * @param u                 the Mann-Whitney U of the canary's durations against the stable pool's
     * @param latencyPValue     the chance of a U at least this large if the canary were no slower
     * @param probabilitySlower U / (n canary × n stable): the chance a canary request is slower than a stable one
     *                          (0.5 when alike)
     * @param medianIncrease    the canary's median over the stable one's, less 1 (0.25: 25 % slower)
     * @param errorTest         {@code fisher} (Fisher's exact test, when any expected count is below 5) or
     *                          {@code two-proportion} (the z test)
     * @param errorPValue       the chance of this many canary 5xx or more if its rate were no higher
     * @param errorRateIncrease the canary's 5xx rate less the stable one's (a difference of fractions)
     */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    public record Tests(double u, double latencyPValue, double probabilitySlower, double medianIncrease,
            String errorTest, double errorPValue, double errorRateIncrease) {
    }
}
