package dev.turnout.proxy.config;

/**
 * A configuration that cannot run. The message names the key, the value found and what was
 * expected, in the form {@code turnout.pools.stable.backends[1].weight: -1 (expected: 0 to 1000)}.
 */
public class ConfigError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigError(String message) {
        super(message, null, false, false);
    }

    static ConfigError of(String key, Object value, String expected) {
        String shown = value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
        return new ConfigError(key + ": " + shown + " (expected: " + expected + ")");
    }
}
