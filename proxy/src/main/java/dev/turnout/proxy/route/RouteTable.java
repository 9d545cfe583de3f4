package dev.turnout.proxy.route;

import dev.turnout.proxy.config.DataPlaneSettings;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One immutable routing snapshot: routes in match order, the pools they use, and the settings that go
 * with them. The data plane reads the current snapshot through one volatile field and never sees a
 * half-built one; a reload publishes its routes, pools and settings in one such snapshot.
 */
public final class RouteTable {

    private final List<Route> routes;
    private final Map<String, Pool> pools;
    private final DataPlaneSettings settings;

    public RouteTable(List<Route> routes, Map<String, Pool> pools, DataPlaneSettings settings) {
        this.routes = List.copyOf(routes);
        this.pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        this.settings = settings;
    }

    /** A snapshot of the configuration alone, for one Turnout outside a fleet (tests, benchmarks). */
    public static RouteTable fromConfig(TurnoutConfig config) {
        Map<String, Pool> pools = new LinkedHashMap<>();
        config.pools().forEach((name, pool) -> pools.put(name, Pool.fromConfig(pool)));
        RoutePolicies policies = RoutePolicies.alone();
        List<Route> routes = config.routes().stream().map(r -> new Route(r, pools, policies, new AtomicLong())).toList();
        return new RouteTable(routes, pools, config.settings());
    }

    public List<Route> routes() {
        return routes;
    }

    public Map<String, Pool> pools() {
        return pools;
    }

    /** The timeouts, limits, compression and cache settings that go with these routes. */
    public DataPlaneSettings settings() {
        return settings;
    }

    /** Whether this snapshot would send new requests to {@code backend}. */
    public boolean inRotation(Backend backend) {
        Pool pool = pools.get(backend.poolName());
        if (pool != null) {
            for (PoolMember member : pool.members()) {
                if (member.backend() == backend) {
                    return member.inRotation();
                }
            }
        }
        return false;
    }

    /**
     * The first route matching the request, or null.
     *
     * @param hostHeader the Host header as received (any case, maybe with a port), or null
     * @param uri        the request target; the query is ignored
     */
    public Route match(String hostHeader, String uri) {
        String host = normalizeHost(hostHeader);
        String path = pathOf(uri);
        for (Route route : routes) {
            if (route.matches(host, path)) {
                return route;
            }
        }
        return null;
    }

    static String normalizeHost(String hostHeader) {
        if (hostHeader == null) {
            return "";
        }
        int end = hostHeader.length();
        if (hostHeader.startsWith("[")) {
            int close = hostHeader.indexOf(']');
            end = close < 0 ? end : close + 1;
        } else {
            int colon = hostHeader.indexOf(':');
            end = colon < 0 ? end : colon;
        }
        return hostHeader.substring(0, end).toLowerCase(Locale.ROOT);
    }

    static String pathOf(String uri) {
        if (!uri.startsWith("/")) {
            // absolute-form "http://host/path" (RFC 9112 3.2.2): match on its path
            int scheme = uri.indexOf("://");
            int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
            uri = slash < 0 ? "/" : uri.substring(slash);
        }
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }
}
