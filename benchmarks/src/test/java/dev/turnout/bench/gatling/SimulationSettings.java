package dev.turnout.bench.gatling;

import java.time.Duration;
import java.util.Locale;

/**
 * The simulations' knobs, read from system properties ({@code mvn ... gatling:test -Dusers=32}): Maven hands its
 * {@code -D} properties to the JVM the Gatling plugin forks. Defaults fit a Turnout on
 * {@code 127.0.0.1:8080}; {@code benchmarks/gatling.sh} sets them all.
 */
final class SimulationSettings {

    private SimulationSettings() {
    }

    static String text(String name, String fallback) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    static int integer(String name, int fallback) {
        return Integer.parseInt(text(name, Integer.toString(fallback)));
    }

    /** A duration in whole seconds, such as {@code -Dduration=20}. */
    static Duration seconds(String name, int fallback) {
        return Duration.ofSeconds(integer(name, fallback));
    }

    /** The base URL without a trailing slash, so that paths can be appended as they are. */
    static String url(String name, String fallback) {
        String url = text(name, fallback);
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    static String percent(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f %%", 100.0 * part / whole);
    }
}
