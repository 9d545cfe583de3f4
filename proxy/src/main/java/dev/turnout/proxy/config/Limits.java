package dev.turnout.proxy.config;

import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;

/** The rules a configuration file and a runtime change must both follow. */
public final class Limits {

    public static final int MAX_WEIGHT = 1000;
    public static final String NAME_RULE = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Limits() {
    }

    /** Whether a pool, route or backend name is usable in URLs, metrics labels and logs. */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** What is wrong with a split, or null when it names known pools with shares 0-100 summing to 100. */
    public static String splitProblem(Map<String, Integer> split, Collection<String> pools) {
        if (split.isEmpty()) {
            return "a split needs at least one pool";
        }
        int sum = 0;
        for (Map.Entry<String, Integer> share : split.entrySet()) {
            if (!pools.contains(share.getKey())) {
                return "unknown pool " + share.getKey() + " (pools: " + pools + ")";
            }
            if (share.getValue() < 0 || share.getValue() > 100) {
                return "share of " + share.getKey() + " is " + share.getValue() + " (expected: 0 to 100)";
            }
            sum += share.getValue();
        }
        return sum == 100 ? null : "shares sum to " + sum + " (expected: 100)";
    }
}
