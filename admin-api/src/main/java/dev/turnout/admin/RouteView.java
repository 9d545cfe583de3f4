package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A route as the admin API shows it; {@code split} maps pool name to percent. */
public record RouteView(String name, String host, @JsonProperty("path-prefix") String pathPrefix,
        Map<String, Integer> split) {

    public RouteView {
        split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
    }
}
