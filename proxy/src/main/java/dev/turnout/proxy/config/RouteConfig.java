package dev.turnout.proxy.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A route: requests whose host and path match go to the pools of its split.
 *
 * @param host       {@code *}, an exact host, or {@code *.suffix}; lower case
 * @param pathPrefix matched as a plain string prefix of the request path
 * @param split      pool name to percent; the percents sum to 100
 * @param cache      whether the response cache serves this route
 * @param sticky     where a client's stable key is read to keep it on one pool, or null for none
 * @param poolHeader a request header that names the pool to use (for testers), or null for none
 * @param maxBodySize the largest request body accepted (413 beyond), or 0 for no limit
 */
public record RouteConfig(String name, String host, String pathPrefix, Map<String, Integer> split, boolean cache,
        Sticky sticky, String poolHeader, long maxBodySize) {

    /** A stable key per client: a cookie's value, or a header's. Exactly one of the two is set. */
    public record Sticky(String cookie, String header) {
    }

    public RouteConfig {
        split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
    }

    public RouteConfig withSplit(Map<String, Integer> newSplit) {
        return new RouteConfig(name, host, pathPrefix, newSplit, cache, sticky, poolHeader, maxBodySize);
    }
}
