package dev.turnout.proxy.config;

import java.util.Set;
import java.util.TreeSet;

/**
 * A key the configuration does not have ({@link #key()} is its full path, for example
 * {@code turnout.timeouts.conect}), with the keys its parent does have, to suggest the nearest.
 */
final class UnknownKeyError extends ConfigError {

    private static final long serialVersionUID = 1L;

    private final Set<String> known;

    UnknownKeyError(String key, Set<String> known) {
        super(key + ": unknown key (expected one of " + new TreeSet<>(known) + ")");
        this.known = Set.copyOf(known);
    }

    /** The keys beside it that exist. */
    Set<String> known() {
        return known;
    }
}
