package dev.turnout.proxy.control;

import dev.turnout.admin.RolloutPlan;
import dev.turnout.admin.RolloutView;
import dev.turnout.admin.RolloutView.Figures;
import dev.turnout.admin.RolloutView.Tests;
import dev.turnout.admin.RolloutView.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The version analyzer's decisions, as pure functions of a rollout and the figures of one
 * interval: start, judge, abort, resume. No clock, no threads, no I/O, so every rule is tested
 * directly; {@link RolloutRunner} feeds it and applies what it returns.
 */
final class RolloutJudge {

    /** Entries kept in a rollout's trail; the oldest go first (the start always stays). */
    static final int MAX_VERDICTS = 200;

    private RolloutJudge() {
    }

    /** A new running rollout at its first step, capped by the pools' backends in rotation. */
    static RolloutView start(String route, RolloutPlan plan, int inRotationFrom, int inRotationTo, String now) {
        int share = capped(plan.steps().get(0), inRotationFrom, inRotationTo);
        String interval = plan.interval().toMillis() % 1000 == 0 ? plan.interval().toSeconds() + "s"
                : plan.interval().toMillis() + "ms";
        Verdict first = new Verdict(now, "start", share, capNote(plan.steps().get(0), share, inRotationFrom, inRotationTo,
                plan.to() + " gets " + share + "% of route " + route), null, null, null);
        return new RolloutView(route, RolloutView.RUNNING, plan.from(), plan.to(), plan.steps(), interval,
                plan.interval().toMillis(), plan.maxErrorRate(), plan.maxP95Ratio(), plan.minRequests(), plan.judge(),
                plan.confidence(), plan.maxLatencyIncrease(), plan.steps().get(0), split(plan.from(), plan.to(), share), now,
                null, List.of(first));
    }

    /**
     * Judges one interval. With fewer than {@code min-requests} on either side the step waits
     * (figures keep accumulating); otherwise the canary fails (by {@link StatisticalJudge}, or with the
     * threshold judge on its 5xx rate or its p95), which rolls the route back to {@code from} at once,
     * or passes, which moves to the next step or, after the last, promotes {@code to} to 100 %.
     *
     * @return the rollout after the verdict; {@link #waited} tells whether the figures must keep accumulating
     */
    static RolloutView judge(RolloutView rollout, PoolInterval stable, PoolInterval canary, int inRotationFrom,
            int inRotationTo, String now) {
        Figures stableFigures = figures(rollout.from(), stable);
        Figures canaryFigures = figures(rollout.to(), canary);
        int step = rollout.split().getOrDefault(rollout.to(), 0);
        if (inRotationTo == 0) {
            return rolledBack(rollout, new Verdict(now, "fail", step, "pool " + rollout.to() + " has no backend in rotation",
                    stableFigures, canaryFigures, null), now);
        }
        if (stableFigures.requests() < rollout.minRequests() || canaryFigures.requests() < rollout.minRequests()) {
            String reason = String.format(Locale.ROOT, "waiting for %d requests on each side: %s has %d, %s has %d",
                    rollout.minRequests(), rollout.from(), stableFigures.requests(), rollout.to(), canaryFigures.requests());
            return with(rollout, RolloutView.RUNNING, rollout.step(), rollout.split(), null, append(rollout.verdicts(),
                    new Verdict(now, "wait", step, reason, stableFigures, canaryFigures, null), true));
        }
        Tests tests = null;
        String failure;
        String pass;
        if (rollout.judge().equals(RolloutView.THRESHOLD)) {
            failure = failure(rollout, stableFigures, canaryFigures);
            pass = String.format(Locale.ROOT, "%s 5xx %.2f%% vs %s %.2f%% (allowed +%.2f%%); p95 %.1f ms vs %.1f ms "
                    + "(allowed x%.2f)", rollout.to(), 100 * canaryFigures.errorRate(), rollout.from(),
                    100 * stableFigures.errorRate(), 100 * rollout.maxErrorRate(), 1000 * canaryFigures.p95Seconds(),
                    1000 * stableFigures.p95Seconds(), rollout.maxP95Ratio());
        } else {
            StatisticalJudge.Finding finding = StatisticalJudge.compare(rollout, stable, canary);
            tests = finding.tests();
            failure = finding.failure();
            pass = finding.summary();
        }
        if (failure != null) {
            return rolledBack(rollout, new Verdict(now, "fail", step, failure, stableFigures, canaryFigures, tests), now);
        }
        List<Verdict> verdicts = append(rollout.verdicts(), new Verdict(now, "pass", step, pass, stableFigures, canaryFigures,
                tests), false);
        Integer target = nextStep(rollout.steps(), rollout.step());
        if (target == null || target >= 100) {
            return with(rollout, RolloutView.PROMOTED, 100, split(rollout.from(), rollout.to(), 100),
                    "every step passed; " + rollout.to() + " promoted to 100%",
                    append(verdicts, new Verdict(now, "promote", 100, rollout.to() + " gets all of route " + rollout.route(),
                            null, null, null), false));
        }
        int share = capped(target, inRotationFrom, inRotationTo);
        return with(rollout, RolloutView.RUNNING, target, split(rollout.from(), rollout.to(), share), null,
                append(verdicts, new Verdict(now, "step", share, capNote(target, share, inRotationFrom, inRotationTo,
                        rollout.to() + " gets " + share + "%"), null, null, null), false));
    }

    /** Whether {@code judged} is still at the step it was judged at because it waited for requests. */
    static boolean waited(RolloutView judged) {
        List<Verdict> trail = judged.verdicts();
        return judged.running() && !trail.isEmpty() && trail.get(trail.size() - 1).outcome().equals("wait");
    }

    static RolloutView aborted(RolloutView rollout, String reason, String now) {
        return with(rollout, RolloutView.ABORTED, rollout.step(), split(rollout.from(), rollout.to(), 0), reason,
                append(rollout.verdicts(), new Verdict(now, "abort", 0, reason, null, null, null), false));
    }

    /** After a restart: the step holds and its interval starts again, since the figures were in memory. */
    static RolloutView resumed(RolloutView rollout, String now) {
        return with(rollout, RolloutView.RUNNING, rollout.step(), rollout.split(), null,
                append(rollout.verdicts(), new Verdict(now, "resume", rollout.split().getOrDefault(rollout.to(), 0),
                        "Turnout restarted; the step's interval starts again", null, null, null), false));
    }

    private static String failure(RolloutView rollout, Figures stable, Figures canary) {
        double excess = canary.errorRate() - stable.errorRate();
        if (excess > rollout.maxErrorRate()) {
            return String.format(Locale.ROOT, "%s 5xx rate %.2f%% exceeds %s's %.2f%% by %.2f points (allowed %.2f)",
                    rollout.to(), 100 * canary.errorRate(), rollout.from(), 100 * stable.errorRate(), 100 * excess,
                    100 * rollout.maxErrorRate());
        }
        if (stable.p95Seconds() > 0 && canary.p95Seconds() > rollout.maxP95Ratio() * stable.p95Seconds()) {
            return String.format(Locale.ROOT, "%s p95 %.1f ms is %.2f x %s's %.1f ms (allowed x%.2f)", rollout.to(),
                    1000 * canary.p95Seconds(), canary.p95Seconds() / stable.p95Seconds(), rollout.from(),
                    1000 * stable.p95Seconds(), rollout.maxP95Ratio());
        }
        return null;
    }

    private static RolloutView rolledBack(RolloutView rollout, Verdict verdict, String now) {
        return with(rollout, RolloutView.ROLLED_BACK, rollout.step(), split(rollout.from(), rollout.to(), 0),
                verdict.reason(),
                append(append(rollout.verdicts(), verdict, false), new Verdict(now, "rollback", 0,
                        rollout.from() + " gets all of route " + rollout.route() + " again", null, null, null), false));
    }

    /**
     * The share the canary may have: the step, but no more than its backends' share of those in
     * rotation in both pools, so that a canary with one backend in rotation beside four stable ones
     * is held at 20 % until more are up.
     */
    static int capped(int step, int inRotationFrom, int inRotationTo) {
        if (inRotationFrom == 0 || step >= 100) {
            return step;
        }
        int byBackends = (int) (100L * inRotationTo / (inRotationTo + inRotationFrom));
        return Math.max(1, Math.min(step, byBackends));
    }

    private static String capNote(int step, int share, int inRotationFrom, int inRotationTo, String text) {
        return share == step ? text : text + String.format(Locale.ROOT, " (step %d%% capped: %d of %d backends in rotation are "
                + "canary backends)", step, inRotationTo, inRotationFrom + inRotationTo);
    }

    private static Integer nextStep(List<Integer> steps, int current) {
        for (int step : steps) {
            if (step > current) {
                return step;
            }
        }
        return null;
    }

    private static Figures figures(String pool, PoolInterval interval) {
        var counts = interval.counts();
        return new Figures(pool, counts.requests(), counts.serverErrors(), counts.errorRate(),
                counts.percentileSeconds(0.95), interval.medianSeconds(), interval.latencySeconds().length);
    }

    static Map<String, Integer> split(String from, String to, int toShare) {
        Map<String, Integer> split = new LinkedHashMap<>();
        split.put(from, 100 - toShare);
        split.put(to, toShare);
        return split;
    }

    /** The trail with {@code verdict} added; a wait replaces the wait just before it rather than pile up. */
    private static List<Verdict> append(List<Verdict> trail, Verdict verdict, boolean replaceWait) {
        List<Verdict> next = new ArrayList<>(trail);
        if (replaceWait && !next.isEmpty() && next.get(next.size() - 1).outcome().equals("wait")) {
            next.remove(next.size() - 1);
        }
        next.add(verdict);
        while (next.size() > MAX_VERDICTS) {
            next.remove(1);
        }
        return next;
    }

    private static RolloutView with(RolloutView r, String state, int step, Map<String, Integer> split, String reason,
            List<Verdict> verdicts) {
        return new RolloutView(r.route(), state, r.from(), r.to(), r.steps(), r.interval(), r.intervalMillis(),
                r.maxErrorRate(), r.maxP95Ratio(), r.minRequests(), r.judge(), r.confidence(), r.maxLatencyIncrease(), step,
                split, r.started(), reason, verdicts);
    }
}
