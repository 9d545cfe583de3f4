package dev.turnout.proxy.pool;

import java.util.Locale;

/** Operator intent for a backend, kept apart from observed health. */
public enum AdminState {
    /** In rotation. */
    ACTIVE,
    /** Out of rotation; requests in flight finish. Shown as {@code drained} once none are. */
    DRAINING,
    /** Out of rotation. */
    DISABLED;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The state as the admin API shows it, where a draining backend with nothing left is drained. */
    public String displayName(int inflight) {
        return this == DRAINING && inflight == 0 ? "drained" : configName();
    }

    public static AdminState fromConfigName(String name) {
        for (AdminState s : values()) {
            if (s.configName().equals(name)) {
                return s;
            }
        }
        if ("drained".equals(name)) {
            return DRAINING;
        }
        throw new IllegalArgumentException("state: " + name + " (expected: active, draining, drained or disabled)");
    }
}
