package dev.turnout.proxy.config;

/**
 * The admin listener.
 *
 * @param token the bearer token {@code /api/*} requires, or null when none is set
 */
public record AdminConfig(HostPort listen, String token) {

    @Override
    public String toString() {
        return "AdminConfig[listen=" + listen + ", token=" + (token == null ? "none" : "set") + "]";
    }
}
