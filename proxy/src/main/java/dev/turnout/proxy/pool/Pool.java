package dev.turnout.proxy.pool;

import dev.turnout.proxy.balance.SmoothWeightedSequence;
import dev.turnout.proxy.config.HealthCheckConfig;
import dev.turnout.proxy.config.PoolConfig;
import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.config.ResilienceConfig;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** An immutable pool: its members and the precomputed pick order over those in rotation. */
public final class Pool {

    private final String name;
    private final PoolConfig.Balancer balancer;
    private final List<PoolMember> members;
    private final SmoothWeightedSequence<Backend> picks;
    // For least-request: the members in rotation and their effective weights.
    private final Backend[] candidates;
    private final int[] candidateWeights;
    private final boolean ramping;
    private final HealthCheckConfig healthCheck;
    private final ResilienceConfig resilience;
    private final PoolCarryOver carryOver;
    private final PoolTransport transport;

    /**
     * @param carryOver shared by every snapshot of this pool, so that retries in flight are counted
     *                  and the pick order goes on across a change
     */
    public Pool(String name, PoolConfig.Balancer balancer, List<PoolMember> members, HealthCheckConfig healthCheck,
            ResilienceConfig resilience, PoolCarryOver carryOver, PoolTransport transport, long nowNanos) {
        this.name = name;
        this.transport = transport;
        this.balancer = balancer;
        this.healthCheck = healthCheck;
        this.resilience = resilience;
        this.carryOver = carryOver;
        this.members = List.copyOf(members);
        List<PoolMember> inRotation = this.members.stream().filter(PoolMember::inRotation).toList();
        int[] weights = effectiveWeights(inRotation, resilience.slowStart().toNanos(), nowNanos);
        this.candidates = inRotation.stream().map(PoolMember::backend).toArray(Backend[]::new);
        this.candidateWeights = weights;
        this.ramping = inRotation.size() > 0 && weights.length > 0 && isRamping(inRotation, resilience, nowNanos);
        this.picks = SmoothWeightedSequence.of(List.of(candidates), Arrays.stream(weights).boxed().toList(),
                carryOver.pickCursor());
    }

    /** Weights with slow start applied: scaled by {@link SlowStart#STEPS} while any member ramps. */
    private static int[] effectiveWeights(List<PoolMember> members, long slowStartNanos, long nowNanos) {
        int[] steps = new int[members.size()];
        boolean anyRamping = false;
        long scaledTotal = 0;
        for (int i = 0; i < steps.length; i++) {
            steps[i] = SlowStart.steps(members.get(i).backend().rampStartNanos(), nowNanos, slowStartNanos);
            anyRamping |= steps[i] < SlowStart.STEPS;
            scaledTotal += (long) members.get(i).weight() * SlowStart.STEPS;
        }
        int[] weights = new int[steps.length];
        // A ramp needs finer weights; a pool too large to scale keeps its plain weights.
        boolean scale = anyRamping && scaledTotal <= 1_000_000;
        for (int i = 0; i < weights.length; i++) {
            int weight = members.get(i).weight();
            weights[i] = scale ? Math.max(1, weight * steps[i]) : weight;
        }
        return weights;
    }

    private static boolean isRamping(List<PoolMember> members, ResilienceConfig resilience, long nowNanos) {
        long slowStart = resilience.slowStart().toNanos();
        return members.stream().anyMatch(m -> SlowStart.steps(m.backend().rampStartNanos(), nowNanos, slowStart)
                < SlowStart.STEPS);
    }

    /** A pool exactly as configured: every backend active. */
    public static Pool fromConfig(PoolConfig config) {
        return new Pool(config.name(), config.balancer(), config.backends().stream()
                .map(b -> PoolMember.of(new Backend(config.name(), b.id(), b.address().toString(), b.socketAddress()),
                        b.weight(), AdminState.ACTIVE))
                .toList(), config.healthCheck(), config.resilience(), PoolCarryOver.fresh(), config.transport(),
                System.nanoTime());
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
        return carryOver.retryBudget();
    }

    public PoolCarryOver carryOver() {
        return carryOver;
    }

    /** How its backends are spoken to: HTTP version and TLS. */
    public PoolTransport transport() {
        return transport;
    }

    /**
     * Takes a token of the pool's retry budget for a request that may have reached a backend, or
     * returns false when it is spent. Walks the members: for retries, not the hot path.
     */
    public boolean tryAcquireRetry() {
        int sum = 0;
        int busiest = 0;
        for (PoolMember m : members) {
            int inflight = m.backend().inflight();
            sum += inflight;
            busiest = Math.max(busiest, inflight);
        }
        return carryOver.retryBudget().tryAcquire(sum, busiest, resilience.retryBudgetPercent());
    }

    /** A backend in rotation other than {@code tried}, or null. */
    public Backend pickOtherThan(Backend tried) {
        return pickExcluding(new Backend[] {tried}, 1);
    }

    /** A backend in rotation that is not among the first {@code count} of {@code tried}, or null. */
    public Backend pickExcluding(Backend[] tried, int count) {
        for (int i = 0; i < members.size() + 1; i++) {
            Backend b = pick();
            if (b == null) {
                return null;
            }
            if (!contains(tried, count, b)) {
                return b;
            }
        }
        // The pick order may keep landing on tried ones (a heavy weight); look at every candidate.
        for (PoolMember m : members) {
            if (m.inRotation() && !contains(tried, count, m.backend())) {
                return m.backend();
            }
        }
        return null;
    }

    private static boolean contains(Backend[] backends, int count, Backend b) {
        for (int i = 0; i < count; i++) {
            if (backends[i] == b) {
                return true;
            }
        }
        return false;
    }

    /** Whether a slow-start ramp is under way, so the snapshot must be recompiled as it goes. */
    public boolean ramping() {
        return ramping;
    }

    /** The backend for the next request, or null when no backend is in rotation. */
    public Backend pick() {
        return balancer == PoolConfig.Balancer.LEAST_REQUEST ? leastRequest() : picks.next();
    }

    /**
     * Power of two random choices: of two members drawn at random, the one with fewer requests in
     * flight per unit of weight. Near-optimal spread at the cost of two counter reads.
     */
    private Backend leastRequest() {
        Backend[] c = candidates;
        if (c.length <= 1) {
            return c.length == 0 ? null : c[0];
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int i = random.nextInt(c.length);
        int j = random.nextInt(c.length - 1);
        if (j >= i) {
            j++;
        }
        // (inflight_i + 1) / w_i <= (inflight_j + 1) / w_j, cross-multiplied.
        long costI = (c[i].inflight() + 1L) * candidateWeights[j];
        long costJ = (c[j].inflight() + 1L) * candidateWeights[i];
        return costI <= costJ ? c[i] : c[j];
    }
}
