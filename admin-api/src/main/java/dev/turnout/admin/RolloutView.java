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
 * @param reason   why it ended, when it did
 * @param verdicts every judgement and event, oldest first, with the figures it used
 */
@JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RolloutView(String route, String state, String from, String to, List<Integer> steps, String interval,
        long intervalMillis, double maxErrorRate, double maxP95Ratio, long minRequests, int step,
        Map<String, Integer> split, String started, String reason, List<Verdict> verdicts) {

    public static final String RUNNING = "running";
    public static final String PROMOTED = "promoted";
    public static final String ROLLED_BACK = "rolled-back";
    public static final String ABORTED = "aborted";

    public RolloutView {
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
     */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Verdict(String at, String outcome, int step, String reason, Figures stable, Figures canary) {
    }

    /** One pool's figures over the judged interval. */
    @JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
    public record Figures(String pool, long requests, long errors, double errorRate, double p95Seconds) {
    }
}
