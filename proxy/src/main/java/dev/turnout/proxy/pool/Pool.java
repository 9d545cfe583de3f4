package dev.turnout.proxy.pool;

import dev.turnout.proxy.balance.SmoothWeightedSequence;
import dev.turnout.proxy.config.PoolConfig;
import java.util.List;

/** An immutable pool: its members and the precomputed pick order over those in rotation. */
public final class Pool {

    private final String name;
    private final PoolConfig.Balancer balancer;
    private final List<PoolMember> members;
    private final SmoothWeightedSequence<Backend> picks;

    public Pool(String name, PoolConfig.Balancer balancer, List<PoolMember> members) {
        this.name = name;
        this.balancer = balancer;
        this.members = List.copyOf(members);
        List<PoolMember> inRotation = this.members.stream().filter(PoolMember::inRotation).toList();
        this.picks = SmoothWeightedSequence.of(inRotation.stream().map(PoolMember::backend).toList(),
                inRotation.stream().map(PoolMember::weight).toList());
    }

    /** A pool exactly as configured: every backend active. */
    public static Pool fromConfig(PoolConfig config) {
        return new Pool(config.name(), config.balancer(), config.backends().stream()
                .map(b -> new PoolMember(new Backend(config.name(), b.id(), b.address().toString(), b.socketAddress()),
                        b.weight(), AdminState.ACTIVE))
                .toList());
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

    /** The backend for the next request, or null when no backend is in rotation. */
    public Backend pick() {
        return picks.next();
    }
}
