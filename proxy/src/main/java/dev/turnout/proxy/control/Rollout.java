package dev.turnout.proxy.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A progressive canary on one route: its plan, where it stands, and its trail. The rollout state machine
 * ({@link RolloutJudge}, {@link RolloutRunner}) works on it and {@link RuntimeState} holds it; the admin API shows it
 * as a {@code RolloutView} ({@link RolloutViews}).
 *
 * <p>Its JSON (kebab-case names in component order, nulls left out) is what the state file and etcd keep, read and
 * written by {@link StateJson}: renaming or reordering a component changes the saved documents, which other
 * instances of a fleet and the next start read (StateJsonTest reads one written before this type existed).
 *
 * @param interval as requested, for example {@code 30s}
 * @param judge    a rollout saved before there was a choice (no judge saved) keeps the threshold rule it was started with
 * @param step     the plan's step in force, in percent; {@code split} holds the share the canary really has, which a cap
 *                 by backends in rotation may hold below it
 * @param reason   why it ended, when it did
 * @param verdicts every judgement and event, oldest first, with the figures it used
 */
@JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
record Rollout(String route, State state, String from, String to, List<Integer> steps, String interval, long intervalMillis,
        double maxErrorRate, double maxP95Ratio, long minRequests, Judge judge, double confidence, double maxLatencyIncrease,
        int step, Map<String, Integer> split, String started, String reason, List<Verdict> verdicts) {

    static final double DEFAULT_CONFIDENCE = 0.95;
    static final double DEFAULT_MAX_LATENCY_INCREASE = 0.10;

    Rollout {
        if (judge == null) {
            judge = Judge.THRESHOLD;
            confidence = DEFAULT_CONFIDENCE;
            maxLatencyIncrease = DEFAULT_MAX_LATENCY_INCREASE;
        }
        steps = List.copyOf(steps);
        split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
        verdicts = List.copyOf(verdicts);
    }

    boolean running() {
        return state == State.RUNNING;
    }

    /** Where a rollout stands; the label is its saved (and shown) name. */
    enum State {
        RUNNING("running"), PROMOTED("promoted"), ROLLED_BACK("rolled-back"), ABORTED("aborted");

        private final String label;

        State(String label) {
            this.label = label;
        }

        @JsonValue
        String label() {
            return label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** How an interval is judged. */
    enum Judge {
        /** Mann-Whitney U on latencies, Fisher or two-proportion on 5xx ({@link StatisticalJudge}). */
        MANN_WHITNEY("mann-whitney"),
        /** Fixed limits on the p95 ratio and the 5xx difference. */
        THRESHOLD("threshold");

        private final String label;

        Judge(String label) {
            this.label = label;
        }

        @JsonValue
        String label() {
            return label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * A rollout as requested: raise {@code to}'s share of a route through {@code steps}, judging each step after
     * {@code interval} against {@code from}.
     *
     * @param maxErrorRate       the most by which the canary's 5xx share may exceed the stable pool's (a difference of
     *                           fractions); with the statistical judge, only a significant excess counts
     * @param maxP95Ratio        the most the canary's p95 may be, as a multiple of the stable pool's (threshold judge)
     * @param minRequests        requests needed on each side before an interval is judged
     * @param confidence         the statistical judge's: a difference is significant when p is below 1 - this
     * @param maxLatencyIncrease the smallest rise of the canary's median over the stable one's (a fraction) that fails a
     *                           step once significant (statistical judge)
     */
    record Plan(String from, String to, List<Integer> steps, Duration interval, double maxErrorRate, double maxP95Ratio,
            long minRequests, Judge judge, double confidence, double maxLatencyIncrease) {

        Plan {
            steps = List.copyOf(steps);
        }
    }

    /**
     * One entry of the trail.
     *
     * @param step  the canary's real share while the figures were gathered (or, for {@code STEP}, from now on)
     * @param tests the statistical judge's tests of a judged interval; null for other entries and the threshold judge
     */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Verdict(String at, Outcome outcome, int step, String reason, Figures stable, Figures canary, Tests tests) {
    }

    /** What an entry of the trail records. */
    enum Outcome {
        START("start"),
        PASS("pass"),
        /** Too few requests on a side: the interval is judged again later. */
        WAIT("wait"),
        FAIL("fail"),
        /** The next share applied. */
        STEP("step"),
        PROMOTE("promote"),
        ROLLBACK("rollback"),
        ABORT("abort"),
        RESUME("resume");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        @JsonValue
        String label() {
            return label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * One pool's figures over the judged interval.
     *
     * @param p95Seconds     from the pool's duration histogram (within 12.5 %)
     * @param medianSeconds  the median of the latency sample
     * @param latencySamples durations in the sample
     */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    record Figures(String pool, long requests, long errors, double errorRate, double p95Seconds, double medianSeconds,
            long latencySamples) {
    }

    /**
     * The statistical judge's findings for one interval; each p-value is one-sided (the canary worse).
     *
     * @param u                 the Mann-Whitney U of the canary's durations against the stable pool's
     * @param latencyPValue     the chance of a U at least this large if the canary were no slower
     * @param probabilitySlower U / (n canary × n stable): the chance a canary request is slower than a stable one
     * @param medianIncrease    the canary's median over the stable one's, less 1
     * @param errorTest         {@code fisher} (Fisher's exact test, when any expected count is below 5) or
     *                          {@code two-proportion} (the z test)
     * @param errorPValue       the chance of this many canary 5xx or more if its rate were no higher
     * @param errorRateIncrease the canary's 5xx rate less the stable one's (a difference of fractions)
     */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    record Tests(double u, double latencyPValue, double probabilitySlower, double medianIncrease, String errorTest,
            double errorPValue, double errorRateIncrease) {
    }
}
