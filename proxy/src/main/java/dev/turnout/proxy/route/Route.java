package dev.turnout.proxy.route;

import dev.turnout.proxy.balance.SmoothWeightedSequence;
import dev.turnout.proxy.config.RouteConfig;
import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.policy.RoutePolicy;
import dev.turnout.proxy.pool.Pool;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/** A compiled route: its match criteria and the precomputed pick order over its split. */
public final class Route {

    private final String name;
    private final String host;
    private final HostPattern hostPattern;
    private final String pathPrefix;
    private final Map<String, Integer> split;
    private final SmoothWeightedSequence<Pool> pools;
    private final boolean cache;
    private final long maxBodySize;
    private final Set<String> retryMethods;
    private final RouteConfig.Sticky sticky;
    private final String poolHeader;
    // For sticky picks: the split's pools in name order and their cumulative shares, so that a
    // key's bucket maps to one pool, and a growing share only moves keys to the pool that grows.
    private final Pool[] byName;
    private final int[] upTo;
    private final Map<String, Pool> inSplit;
    private final RoutePolicy policy;

    /**
     * @param config      its split names pools that must all be in {@code poolsByName}
     * @param policies    where its rules are compiled (and its rate limiter kept across snapshots)
     * @param splitCursor its place in the split's pick order, kept across snapshots: a canary's share holds
     *                    however often a snapshot is published
     */
    public Route(RouteConfig config, Map<String, Pool> poolsByName, RoutePolicies policies, AtomicLong splitCursor) {
        this.name = config.name();
        this.host = config.host();
        this.hostPattern = HostPattern.of(host);
        this.pathPrefix = config.pathPrefix();
        this.cache = config.cache();
        this.maxBodySize = config.maxBodySize();
        this.retryMethods = config.retryMethods();
        Map<String, Integer> split = config.split();
        this.split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
        List<Pool> members = new ArrayList<>();
        List<Integer> shares = new ArrayList<>();
        split.forEach((pool, share) -> {
            members.add(poolsByName.get(pool));
            shares.add(share);
        });
        this.pools = SmoothWeightedSequence.of(members, shares, splitCursor);
        this.sticky = config.sticky();
        this.poolHeader = config.poolHeader();
        List<String> names = new ArrayList<>(split.keySet());
        Collections.sort(names);
        this.byName = new Pool[names.size()];
        this.upTo = new int[names.size()];
        Map<String, Pool> inSplit = new LinkedHashMap<>();
        int total = 0;
        for (int i = 0; i < names.size(); i++) {
            byName[i] = poolsByName.get(names.get(i));
            total += split.get(names.get(i));
            upTo[i] = total;
            inSplit.put(names.get(i), byName[i]);
        }
        this.inSplit = Collections.unmodifiableMap(inSplit);
        this.policy = policies.policyFor(name, config.rules());
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

    /** The largest request body accepted, or 0 for no limit. */
    /** Whether a request with {@code method} may be sent again after it reached a backend that failed. */
    public boolean retries(HttpMethod method) {
        return retryMethods.contains(method.name());
    }

    public long maxBodySize() {
        return maxBodySize;
    }

    /** The route's traffic rules, or null when it has none: a route without rules costs a request one null check. */
    public RoutePolicy policy() {
        return policy;
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

    /**
     * The pool for this request: the one its pool header names (when the route has one and it
     * names a pool of the split), else the one its sticky key hashes to (when the route has one
     * and the request carries it), else the next by the split's percentages.
     */
    public Pool pickPool(HttpHeaders headers) {
        if (poolHeader != null) {
            String wanted = headers.get(poolHeader);
            Pool named = wanted == null ? null : inSplit.get(wanted.trim());
            if (named != null) {
                return named;
            }
        }
        if (sticky != null) {
            String key = sticky.header() != null ? headers.get(sticky.header()) : cookie(headers, sticky.cookie());
            if (key != null && !key.isEmpty()) {
                return poolForKey(key);
            }
        }
        return pools.next();
    }

    /** The pool a sticky key belongs to at the current split. */
    Pool poolForKey(String key) {
        int bucket = Math.floorMod(mix(key.hashCode()), 100);
        for (int i = 0; i < upTo.length; i++) {
            if (bucket < upTo[i]) {
                return byName[i];
            }
        }
        return pools.next();
    }

    /** MurmurHash3's finalizer: spreads String.hashCode (stable across JVMs) over all buckets. */
    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    private static String cookie(HttpHeaders headers, String name) {
        for (String line : headers.getAll(HttpHeaderNames.COOKIE)) {
            for (String pair : line.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    return pair.substring(eq + 1).trim();
                }
            }
        }
        return null;
    }
}
