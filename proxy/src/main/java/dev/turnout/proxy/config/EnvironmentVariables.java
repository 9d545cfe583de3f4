package dev.turnout.proxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code TURNOUT_*} environment variables as configuration: only those that name a known key. A deploy
 * tool's own {@code TURNOUT_EXTRA_CONF} or a typo is not a reason to refuse to start; it is left out
 * and named, with the nearest known key, in one warning line. What counts as known is what the
 * loader's own validation accepts, so the two cannot disagree.
 */
final class EnvironmentVariables {

    static final String PREFIX = "TURNOUT_";
    private static final String ROOT = "turnout";
    /** A known key at most this many edits away from an unknown one is suggested. */
    private static final int MAX_SUGGESTION_DISTANCE = 2;

    private EnvironmentVariables() {
    }

    /**
     * Compiles {@code base} with the environment laid over it, leaving out each variable whose key the
     * compiler reports unknown (or that would sit under a plain value of {@code base}), and reports those
     * left out through {@code warning} in one line. An unknown key that {@code base} has too is the
     * file's error and stays one.
     */
    static <T> T compile(Config base, Map<String, String> environment, Function<Config, T> compiler,
            Consumer<String> warning) {
        Map<String, String> paths = paths(environment);
        List<String> ignored = new ArrayList<>();
        paths.entrySet().removeIf(variable -> {
            boolean underPlainValue = underPlainValue(base, variable.getValue());
            if (underPlainValue) {
                ignored.add(variable.getKey());
            }
            return underPlainValue;
        });
        while (true) {
            Map<String, String> values = new TreeMap<>();
            paths.forEach((name, path) -> values.put(path, environment.get(name)));
            try {
                T config = compiler.apply(ConfigFactory.parseMap(values, "TURNOUT_* environment variables")
                        .withFallback(base).resolve());
                if (!ignored.isEmpty()) {
                    ignored.sort(null);
                    warning.accept("ignoring environment variables that name no configuration key: "
                            + String.join("; ", ignored));
                }
                return config;
            } catch (ConfigError e) {
                // Every unknown key a variable named is left out at once; the file's own problems stay errors.
                boolean leftOut = false;
                for (ConfigError problem : e.all()) {
                    if (!(problem instanceof UnknownKeyError unknown) || has(base, unknown.key())) {
                        continue;
                    }
                    List<String> named = paths.entrySet().stream()
                            .filter(v -> v.getValue().equals(unknown.key()) || v.getValue().startsWith(unknown.key() + "."))
                            .map(Map.Entry::getKey).toList();
                    for (String name : named) {
                        ignored.add(name + suggestion(unknown, paths.remove(name)));
                        leftOut = true;
                    }
                }
                if (!leftOut) {
                    throw e;
                }
            }
        }
    }

    /**
     * {@code TURNOUT_*} variable names and the keys they name, after Typesafe Config's {@code CONFIG_FORCE_}
     * convention: {@code _} is a dot, {@code __} a dash, {@code ___} an underscore.
     */
    private static Map<String, String> paths(Map<String, String> environment) {
        Map<String, String> paths = new TreeMap<>();
        environment.forEach((name, value) -> {
            if (name.startsWith(PREFIX) && name.length() > PREFIX.length()) {
                paths.put(name, ROOT + "." + name.substring(PREFIX.length()).toLowerCase(Locale.ROOT)
                        .replace("___", "\u0000").replace("__", "-").replace('_', '.').replace('\u0000', '_'));
            }
        });
        return paths;
    }

    /** The variable that names {@code path}: the inverse of {@link #paths}. */
    static String nameOf(String path) {
        return PREFIX + path.substring(ROOT.length() + 1).replace("_", "___").replace("-", "__").replace('.', '_')
                .toUpperCase(Locale.ROOT);
    }

    /** Whether a key above {@code path} is a plain value in {@code base} (as {@code turnout.listen} is). */
    private static boolean underPlainValue(Config base, String path) {
        for (int dot = path.indexOf('.', ROOT.length() + 1); dot > 0; dot = path.indexOf('.', dot + 1)) {
            String above = path.substring(0, dot);
            if (has(base, above) && base.getValue(above).valueType() != ConfigValueType.OBJECT) {
                return true;
            }
        }
        return false;
    }

    private static boolean has(Config config, String path) {
        try {
            return config.hasPathOrNull(path);
        } catch (ConfigException.BadPath e) {
            return false;
        }
    }

    /** " (nearest known key: TURNOUT_…)" when a known key is close to the unknown one, else nothing. */
    private static String suggestion(UnknownKeyError error, String path) {
        String parent = error.key().substring(0, error.key().lastIndexOf('.'));
        String unknown = error.key().substring(parent.length() + 1);
        String rest = path.substring(error.key().length());
        String nearest = null;
        int best = MAX_SUGGESTION_DISTANCE + 1;
        for (String known : new TreeSet<>(error.known())) {
            int distance = distance(unknown, known);
            if (distance < best && distance < unknown.length()) {
                best = distance;
                nearest = known;
            }
        }
        return nearest == null ? "" : " (nearest known key: " + nameOf(parent + "." + nearest + rest) + ")";
    }

    /** Levenshtein distance: the fewest single-character insertions, deletions and substitutions from a to b. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
