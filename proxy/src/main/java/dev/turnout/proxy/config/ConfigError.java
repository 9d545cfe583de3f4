package dev.turnout.proxy.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration that cannot run. The message names the key, the value found and what was
 * expected, in the form {@code turnout.pools.stable.backends[1].weight: -1 (expected: 0 to 1000)}.
 * The loader reads the whole file before it gives up, so one error may stand for several problems:
 * {@link #all()} lists each with its key.
 */
public class ConfigError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String problem;
    private final List<ConfigError> all;

    /** @param message {@code KEY: PROBLEM}; a message without a key is a problem of the whole file */
    public ConfigError(String message) {
        super(message, null, false, false);
        int colon = message.indexOf(": ");
        this.key = colon < 0 ? "" : message.substring(0, colon);
        this.problem = colon < 0 ? message : message.substring(colon + 2);
        this.all = List.of(this);
    }

    private ConfigError(List<ConfigError> problems) {
        super(problems.size() + " problems: " + problems.stream().map(ConfigError::getMessage)
                .collect(Collectors.joining("; ")), null, false, false);
        this.key = "";
        this.problem = getMessage();
        this.all = List.copyOf(problems);
    }

    static ConfigError of(String key, Object value, String expected) {
        String shown = value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
        return new ConfigError(key + ": " + shown + " (expected: " + expected + ")");
    }

    /** Every problem found in one reading, as one error (the problem itself when there is one). */
    static ConfigError of(List<ConfigError> problems) {
        return problems.size() == 1 ? problems.get(0) : new ConfigError(problems);
    }

    /** The key path the problem is about, such as {@code turnout.routes[0].split}; "" for the file as a whole. */
    public String key() {
        return key;
    }

    /** What is wrong with it: the value found and what was expected. */
    public String problem() {
        return problem;
    }

    /** Each problem on its own, in the order found; this error alone when it is one problem. */
    public List<ConfigError> all() {
        return all;
    }
}
