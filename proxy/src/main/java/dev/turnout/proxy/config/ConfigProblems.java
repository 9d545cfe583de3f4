package dev.turnout.proxy.config;

import com.typesafe.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The problems found while reading a configuration. Each independent part (a key, a backend, a
 * route) is read through here, so that one bad value does not hide the next: an operator fixing a
 * file, or a reload refused with 422, sees every problem at once.
 */
final class ConfigProblems {

    private final List<ConfigError> found = new ArrayList<>();

    /** Runs a check, keeping its problem instead of stopping. */
    void check(Runnable check) {
        read(() -> {
            check.run();
            return null;
        });
    }

    /** The value {@code reader} reads, or null when it found a problem (which is kept). */
    <T> T read(Supplier<T> reader) {
        try {
            return reader.get();
        } catch (ConfigError e) {
            found.addAll(e.all());
        } catch (ConfigException e) {
            found.add(new ConfigError(e.getMessage()));
        }
        return null;
    }

    boolean any() {
        return !found.isEmpty();
    }

    /** Throws every problem found so far as one {@link ConfigError}. */
    void throwIfAny() {
        if (!found.isEmpty()) {
            throw ConfigError.of(found);
        }
    }
}
