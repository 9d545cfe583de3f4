package dev.turnout.proxy.config;

import dev.turnout.proxy.policy.RouteRules;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

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
 * @param retryMethods the methods whose requests may be sent again after they reached a backend
 *                     that then closed before answering
 * @param rules      access list, redirect, rate limit, header rules and rewrite; {@link RouteRules#NONE} for none
 */
public record RouteConfig(String name, String host, String pathPrefix, Map<String, Integer> split, boolean cache,
        Sticky sticky, String poolHeader, long maxBodySize, Set<String> retryMethods, RouteRules rules) {

    /** RFC 9110 9.2.2: the methods whose intended effect is the same when repeated. */
    public static final Set<String> IDEMPOTENT_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

    /** A stable key per client: a cookie's value, or a header's. Exactly one of the two is set. */
    public record Sticky(String cookie, String header) {
    }

    public RouteConfig {
        split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
        retryMethods = Set.copyOf(retryMethods);
    }

    public RouteConfig withSplit(Map<String, Integer> newSplit) {
        return new RouteConfig(name, host, pathPrefix, newSplit, cache, sticky, poolHeader, maxBodySize, retryMethods, rules);
    }
}
