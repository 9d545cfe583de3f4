package dev.turnout.proxy.control;

import dev.turnout.proxy.control.Rollout.Figures;
import dev.turnout.proxy.control.Rollout.Judge;
import dev.turnout.proxy.control.Rollout.Outcome;
import dev.turnout.proxy.control.Rollout.State;
import dev.turnout.proxy.control.Rollout.Tests;
import dev.turnout.proxy.control.Rollout.Verdict;
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
    static Rollout start(String route, Rollout.Plan plan, int inRotationFrom, int inRotationTo, String now) {
        int share = capped(plan.steps().get(0), inRotationFrom, inRotationTo);
        String interval = plan.interval().toMillis() % 1000 == 0 ? plan.interval().toSeconds() + "s"
                : plan.interval().toMillis() + "ms";
        Verdict first = new Verdict(now, Outcome.START, share, capNote(plan.steps().get(0), share, inRotationFrom, inRotationTo,
                plan.to() + " gets " + share + "% of route " + route), null, null, null);
        return new Rollout(route, State.RUNNING, plan.from(), plan.to(), plan.steps(), interval,
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
    static Rollout judge(Rollout rollout, PoolInterval stable, PoolInterval canary, int inRotationFrom,
            int inRotationTo, String now) {
        Figures stableFigures = figures(rollout.from(), stable);
        Figures canaryFigures = figures(rollout.to(), canary);
        int step = rollout.split().getOrDefault(rollout.to(), 0);
        if (inRotationTo == 0) {
            return rolledBack(rollout, new Verdict(now, Outcome.FAIL, step,
                    "pool " + rollout.to() + " has no backend in rotation", stableFigures, canaryFigures, null), now);
        }
        if (stableFigures.requests() < rollout.minRequests() || canaryFigures.requests() < rollout.minRequests()) {
            String reason = String.format(Locale.ROOT, "waiting for %d requests on each side: %s has %d, %s has %d",
                    rollout.minRequests(), rollout.from(), stableFigures.requests(), rollout.to(), canaryFigures.requests());
            return with(rollout, State.RUNNING, rollout.step(), rollout.split(), null, append(rollout.verdicts(),
                    new Verdict(now, Outcome.WAIT, step, reason, stableFigures, canaryFigures, null), true));
        }
        Tests tests = null;
        String failure;
        String pass;
        if (rollout.judge() == Judge.THRESHOLD) {
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
            return rolledBack(rollout, new Verdict(now, Outcome.FAIL, step, failure, stableFigures, canaryFigures, tests), now);
        }
        List<Verdict> verdicts = append(rollout.verdicts(), new Verdict(now, Outcome.PASS, step, pass, stableFigures,
                canaryFigures, tests), false);
        Integer target = nextStep(rollout.steps(), rollout.step());
        if (target == null || target >= 100) {
            return with(rollout, State.PROMOTED, 100, split(rollout.from(), rollout.to(), 100),
                    "every step passed; " + rollout.to() + " promoted to 100%",
                    append(verdicts, new Verdict(now, Outcome.PROMOTE, 100,
                            rollout.to() + " gets all of route " + rollout.route(), null, null, null), false));
        }
        int share = capped(target, inRotationFrom, inRotationTo);
        return with(rollout, State.RUNNING, target, split(rollout.from(), rollout.to(), share), null,
                append(verdicts, new Verdict(now, Outcome.STEP, share, capNote(target, share, inRotationFrom, inRotationTo,
                        rollout.to() + " gets " + share + "%"), null, null, null), false));
    }

    /** Whether {@code judged} is still at the step it was judged at because it waited for requests. */
    static boolean waited(Rollout judged) {
        List<Verdict> trail = judged.verdicts();
        return judged.running() && !trail.isEmpty() && trail.get(trail.size() - 1).outcome() == Outcome.WAIT;
    }

    static Rollout aborted(Rollout rollout, String reason, String now) {
        return with(rollout, State.ABORTED, rollout.step(), split(rollout.from(), rollout.to(), 0), reason,
                append(rollout.verdicts(), new Verdict(now, Outcome.ABORT, 0, reason, null, null, null), false));
    }

    /** After a restart: the step holds and its interval starts again, since the figures were in memory. */
    static Rollout resumed(Rollout rollout, String now) {
        return with(rollout, State.RUNNING, rollout.step(), rollout.split(), null,
                append(rollout.verdicts(), new Verdict(now, Outcome.RESUME, rollout.split().getOrDefault(rollout.to(), 0),
                        "Turnout restarted; the step's interval starts again", null, null, null), false));
    }

    private static String failure(Rollout rollout, Figures stable, Figures canary) {
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

    private static Rollout rolledBack(Rollout rollout, Verdict verdict, String now) {
        return with(rollout, State.ROLLED_BACK, rollout.step(), split(rollout.from(), rollout.to(), 0),
                verdict.reason(),
                append(append(rollout.verdicts(), verdict, false), new Verdict(now, Outcome.ROLLBACK, 0,
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
        if (replaceWait && !next.isEmpty() && next.get(next.size() - 1).outcome() == Outcome.WAIT) {
            next.remove(next.size() - 1);
        }
        next.add(verdict);
        while (next.size() > MAX_VERDICTS) {
            next.remove(1);
        }
        return next;
    }

    private static Rollout with(Rollout r, State state, int step, Map<String, Integer> split, String reason,
            List<Verdict> verdicts) {
        return new Rollout(r.route(), state, r.from(), r.to(), r.steps(), r.interval(), r.intervalMillis(),
                r.maxErrorRate(), r.maxP95Ratio(), r.minRequests(), r.judge(), r.confidence(), r.maxLatencyIncrease(), step,
                split, r.started(), reason, verdicts);
    }
}
