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
 */
public record RouteConfig(String name, String host, String pathPrefix, Map<String, Integer> split, boolean cache) {

    public RouteConfig {
        split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
    }

    public RouteConfig withSplit(Map<String, Integer> newSplit) {
        return new RouteConfig(name, host, pathPrefix, newSplit, cache);
    }
}
