package dev.turnout.proxy.route;

import dev.turnout.proxy.balance.SmoothWeightedSequence;
import dev.turnout.proxy.pool.Pool;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A compiled route: its match criteria and the precomputed pick order over its split. */
public final class Route {

    private final String name;
    private final String host;
    private final HostPattern hostPattern;
    private final String pathPrefix;
    private final Map<String, Integer> split;
    private final SmoothWeightedSequence<Pool> pools;

    /** @param split pool to percent; each pool must be in {@code poolsByName} */
    public Route(String name, String host, String pathPrefix, Map<String, Integer> split, Map<String, Pool> poolsByName) {
        this.name = name;
        this.host = host;
        this.hostPattern = HostPattern.of(host);
        this.pathPrefix = pathPrefix;
        this.split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
        List<Pool> members = new ArrayList<>();
        List<Integer> shares = new ArrayList<>();
        split.forEach((pool, share) -> {
            members.add(poolsByName.get(pool));
            shares.add(share);
        });
        this.pools = SmoothWeightedSequence.of(members, shares);
    }

    public String name() {
        return name;
    }

    public String host() {
        return host;
    }

    public String pathPrefix() {
        return pathPrefix;
    }

    public Map<String, Integer> split() {
        return split;
    }

    boolean matches(String requestHost, String path) {
        return path.startsWith(pathPrefix) && hostPattern.matches(requestHost);
    }

    /** The pool for the next request, by the split's percentages. */
    public Pool pickPool() {
        return pools.next();
    }
}
