package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A route as the admin API shows it; {@code split} maps pool name to percent.
 *
 * @param policy      the route's traffic rules in the order they apply, by configuration key (for example
 *                    {@code "rate-limit": "100/s burst 200 per client-ip"}); empty when it has none
 * @param rateLimited requests its rate limit refused with 429 on this instance since start; absent without a rate limit
 * @param rateLimitKeys the clients (keys) its rate limit holds a bucket for now, at most its {@code max-keys};
 *                    absent without a rate limit
 */
public record RouteView(String name, String host, @JsonProperty("path-prefix") String pathPrefix,
        Map<String, Integer> split, Map<String, String> policy,
        @JsonProperty("rate-limited") @JsonInclude(JsonInclude.Include.NON_NULL) Long rateLimited,
        @JsonProperty("rate-limit-keys") @JsonInclude(JsonInclude.Include.NON_NULL) Long rateLimitKeys) {

    public RouteView {
        split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
        policy = Collections.unmodifiableMap(new LinkedHashMap<>(policy));
    }
}
