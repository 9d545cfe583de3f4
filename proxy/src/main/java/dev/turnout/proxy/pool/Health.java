package dev.turnout.proxy.pool;

import java.util.Locale;

/** Observed health, kept apart from operator intent ({@link AdminState}). */
public enum Health {
    UP, DOWN, UNKNOWN;

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
