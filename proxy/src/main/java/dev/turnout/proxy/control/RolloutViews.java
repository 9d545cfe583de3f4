package dev.turnout.proxy.control;

import dev.turnout.admin.ControlException;
import dev.turnout.admin.RolloutPlan;
import dev.turnout.admin.RolloutView;

/** Rollouts at the admin API's edge: a {@link Rollout} as the API shows it, a plan as the API takes it. */
final class RolloutViews {

    private RolloutViews() {
    }

    /** {@code rollout} as {@code GET .../rollout} shows it; null for none. */
    static RolloutView of(Rollout rollout) {
        if (rollout == null) {
            return null;
        }
        return new RolloutView(rollout.route(), rollout.state().label(), rollout.from(), rollout.to(), rollout.steps(),
                rollout.interval(), rollout.intervalMillis(), rollout.maxErrorRate(), rollout.maxP95Ratio(),
                rollout.minRequests(), rollout.judge().label(), rollout.confidence(), rollout.maxLatencyIncrease(),
                rollout.step(), rollout.split(), rollout.started(), rollout.reason(),
                rollout.verdicts().stream().map(RolloutViews::verdict).toList());
    }

    /**
     * The plan of {@code POST .../rollout}; a plan without a judge keeps the threshold rule, as a rollout saved before
     * there was a choice does.
     *
     * @throws ControlException BAD_REQUEST for a judge by another name
     */
    static Rollout.Plan plan(RolloutPlan plan) {
        return new Rollout.Plan(plan.from(), plan.to(), plan.steps(), plan.interval(), plan.maxErrorRate(),
                plan.maxP95Ratio(), plan.minRequests(), judge(plan.judge()), plan.confidence(), plan.maxLatencyIncrease());
    }

    private static Rollout.Judge judge(String name) {
        if (name == null) {
            return null;
        }
        for (Rollout.Judge judge : Rollout.Judge.values()) {
            if (judge.label().equals(name)) {
                return judge;
            }
        }
        throw ControlException.badRequest("unknown judge \"" + name + "\" (expected: \"" + RolloutView.MANN_WHITNEY
                + "\" or \"" + RolloutView.THRESHOLD + "\")");
    }

    private static RolloutView.Verdict verdict(Rollout.Verdict verdict) {
        return new RolloutView.Verdict(verdict.at(), verdict.outcome().label(), verdict.step(), verdict.reason(),
                figures(verdict.stable()), figures(verdict.canary()), tests(verdict.tests()));
    }

    private static RolloutView.Figures figures(Rollout.Figures figures) {
        return figures == null ? null : new RolloutView.Figures(figures.pool(), figures.requests(), figures.errors(),
                figures.errorRate(), figures.p95Seconds(), figures.medianSeconds(), figures.latencySamples());
    }

    private static RolloutView.Tests tests(Rollout.Tests tests) {
        return tests == null ? null : new RolloutView.Tests(tests.u(), tests.latencyPValue(), tests.probabilitySlower(),
                tests.medianIncrease(), tests.errorTest(), tests.errorPValue(), tests.errorRateIncrease());
    }
}
