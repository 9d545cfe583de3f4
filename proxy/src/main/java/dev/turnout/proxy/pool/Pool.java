package dev.turnout.proxy.pool;

import dev.turnout.proxy.balance.SmoothWeightedSequence;
import dev.turnout.proxy.config.PoolConfig;
import java.util.List;

/** An immutable pool: its backends and the precomputed pick order over them. */
public final class Pool {

    private final String name;
    private final PoolConfig.Balancer balancer;
    private final List<Backend> backends;
    private final SmoothWeightedSequence<Backend> picks;

    public Pool(String name, PoolConfig.Balancer balancer, List<Backend> backends) {
        this.name = name;
        this.balancer = balancer;
        this.backends = List.copyOf(backends);
        this.picks = SmoothWeightedSequence.of(this.backends, this.backends.stream().map(Backend::weight).toList());
    }

    public static Pool fromConfig(PoolConfig config) {
        return new Pool(config.name(), config.balancer(), config.backends().stream()
                .map(b -> new Backend(config.name(), b.id(), b.address().toString(), b.socketAddress(), b.weight()))
                .toList());
    }

    public String name() {
        return name;
    }

    public PoolConfig.Balancer balancer() {
        return balancer;
    }

    public List<Backend> backends() {
        return backends;
    }

    /** The backend for the next request, or null when no backend can take traffic. */
    public Backend pick() {
        return picks.next();
    }
}
