package dev.turnout.proxy.route;

import dev.turnout.proxy.balance.SmoothWeightedSequence;
import dev.turnout.proxy.config.RouteConfig;
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
    private final boolean cache;

    /** @param config its split names pools that must all be in {@code poolsByName} */
    public Route(RouteConfig config, Map<String, Pool> poolsByName) {
        this.name = config.name();
        this.host = config.host();
        this.hostPattern = HostPattern.of(host);
        this.pathPrefix = config.pathPrefix();
        this.cache = config.cache();
        Map<String, Integer> split = config.split();
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

    /** Whether the response cache serves this route. */
    public boolean cache() {
        return cache;
    }

    boolean matches(String requestHost, String path) {
        return path.startsWith(pathPrefix) && hostPattern.matches(requestHost);
    }

    /** The pool for the next request, by the split's percentages. */
    public Pool pickPool() {
        return pools.next();
    }
}
