package dev.turnout.proxy.pool;

import dev.turnout.proxy.balance.SmoothWeightedSequence;
import dev.turnout.proxy.config.HealthCheckConfig;
import dev.turnout.proxy.config.PoolConfig;
import dev.turnout.proxy.config.ResilienceConfig;
import java.util.List;

/** An immutable pool: its members and the precomputed pick order over those in rotation. */
public final class Pool {

    private final String name;
    private final PoolConfig.Balancer balancer;
    private final List<PoolMember> members;
    private final SmoothWeightedSequence<Backend> picks;
    private final HealthCheckConfig healthCheck;
    private final ResilienceConfig resilience;
    private final RetryBudget retryBudget;

    /**
     * @param retryBudget shared by every snapshot of this pool, so that retries in flight are
     *                    counted across a change
     */
    public Pool(String name, PoolConfig.Balancer balancer, List<PoolMember> members, HealthCheckConfig healthCheck,
            ResilienceConfig resilience, RetryBudget retryBudget) {
        this.name = name;
        this.balancer = balancer;
        this.healthCheck = healthCheck;
        this.resilience = resilience;
        this.retryBudget = retryBudget;
        this.members = List.copyOf(members);
        List<PoolMember> inRotation = this.members.stream().filter(PoolMember::inRotation).toList();
        this.picks = SmoothWeightedSequence.of(inRotation.stream().map(PoolMember::backend).toList(),
                inRotation.stream().map(PoolMember::weight).toList());
    }

    /** A pool exactly as configured: every backend active. */
    public static Pool fromConfig(PoolConfig config) {
        return new Pool(config.name(), config.balancer(), config.backends().stream()
                .map(b -> PoolMember.of(new Backend(config.name(), b.id(), b.address().toString(), b.socketAddress()),
                        b.weight(), AdminState.ACTIVE))
                .toList(), config.healthCheck(), config.resilience(), new RetryBudget(config.resilience().retryBudgetPercent()));
    }

    public String name() {
        return name;
    }

    public PoolConfig.Balancer balancer() {
        return balancer;
    }

    public List<PoolMember> members() {
        return members;
    }

    /** The active health check, or null. */
    public HealthCheckConfig healthCheck() {
        return healthCheck;
    }

    public ResilienceConfig resilience() {
        return resilience;
    }

    public RetryBudget retryBudget() {
        return retryBudget;
    }

    /** Requests in flight over the whole pool; for retry budgeting, not the hot path. */
    public int inflight() {
        int sum = 0;
        for (PoolMember m : members) {
            sum += m.backend().inflight();
        }
        return sum;
    }

    /** A backend in rotation other than {@code tried}, or null. */
    public Backend pickOtherThan(Backend tried) {
        for (int i = 0; i < members.size(); i++) {
            Backend b = picks.next();
            if (b == null) {
                return null;
            }
            if (b != tried) {
                return b;
            }
        }
        return null;
    }

    /** The backend for the next request, or null when no backend is in rotation. */
    public Backend pick() {
        return picks.next();
    }
}
