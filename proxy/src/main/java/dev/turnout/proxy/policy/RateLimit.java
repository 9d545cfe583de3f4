package dev.turnout.proxy.policy;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A route's rate limit as configured: {@code count} requests per {@code unit}, bursts of up to {@code burst}
 * at once, counted per {@code key}, remembering at most {@code maxKeys} keys. The rate and burst are the
 * whole fleet's: {@link RateLimiter} shares them out over the live instances.
 *
 * @param unitSeconds 1, 60 or 3600 ({@code /s}, {@code /m}, {@code /h})
 */
public record RateLimit(long count, int unitSeconds, int burst, Key key, int maxKeys) {

    public static final int MAX_COUNT = 1_000_000_000;
    public static final int MAX_BURST = 1_000_000;
    public static final int MAX_KEYS = 10_000_000;
    public static final int DEFAULT_MAX_KEYS = 100_000;
    public static final String RATE_EXPECTED = "a rate such as 100/s, 6000/m or 10000/h, from 1 to " + MAX_COUNT;
    public static final String KEY_EXPECTED = "client-ip, header:NAME or cookie:NAME";

    /** What a request is counted by. */
    public enum KeyKind { CLIENT_IP, HEADER, COOKIE }

    /** @param name the header's or cookie's name; null for the client address */
    public record Key(KeyKind kind, String name) {

        public static final Key CLIENT_IP = new Key(KeyKind.CLIENT_IP, null);

        /**
         * Reads {@code client-ip}, {@code header:NAME} or {@code cookie:NAME}.
         *
         * @throws IllegalArgumentException saying what was expected
         */
        public static Key parse(String text) {
            if (text.equals("client-ip")) {
                return CLIENT_IP;
            }
            int colon = text.indexOf(':');
            String kind = colon < 0 ? "" : text.substring(0, colon);
            String name = colon < 0 ? "" : text.substring(colon + 1);
            if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+") || !(kind.equals("header") || kind.equals("cookie"))) {
                throw new IllegalArgumentException(KEY_EXPECTED + " (NAME a header or cookie name)");
            }
            return new Key(kind.equals("header") ? KeyKind.HEADER : KeyKind.COOKIE, name);
        }

        @Override
        public String toString() {
            return kind == KeyKind.CLIENT_IP ? "client-ip" : kind.name().toLowerCase(Locale.ROOT) + ":" + name;
        }
    }

    public RateLimit {
        if (count < 1 || count > MAX_COUNT || burst < 1 || burst > MAX_BURST || maxKeys < 1 || maxKeys > MAX_KEYS
                || !(unitSeconds == 1 || unitSeconds == 60 || unitSeconds == 3600)) {
            throw new IllegalArgumentException("rate " + count + " per " + unitSeconds + "s, burst " + burst + ", max-keys "
                    + maxKeys);
        }
    }

    /**
     * The count and unit of {@code 100/s}, {@code 6000/m} or {@code 10000/h}.
     *
     * @return {count, unitSeconds}
     * @throws IllegalArgumentException for anything else, a count of 0 included
     */
    public static long[] parseRate(String text) {
        int slash = text.indexOf('/');
        String count = slash < 0 ? "" : text.substring(0, slash).trim();
        String unit = slash < 0 ? "" : text.substring(slash + 1).trim();
        int seconds = switch (unit) {
            case "s" -> 1;
            case "m" -> 60;
            case "h" -> 3600;
            default -> 0;
        };
        if (seconds == 0 || !count.matches("[0-9]{1,10}") || Long.parseLong(count) < 1 || Long.parseLong(count) > MAX_COUNT) {
            throw new IllegalArgumentException(RATE_EXPECTED);
        }
        return new long[] {Long.parseLong(count), seconds};
    }

    /** The burst when none is given: one second's worth of the rate, and at least 1. */
    public static int defaultBurst(long count, int unitSeconds) {
        return (int) Math.min(MAX_BURST, Math.max(1, count / unitSeconds));
    }

    /** Nanoseconds between two requests at the whole rate. */
    long intervalNanos() {
        return TimeUnit.SECONDS.toNanos(unitSeconds) / count;
    }

    /** The rate as written in the configuration, e.g. {@code 100/s}. */
    public String rate() {
        return count + "/" + (unitSeconds == 1 ? "s" : unitSeconds == 60 ? "m" : "h");
    }

    @Override
    public String toString() {
        return rate() + " burst " + burst + " per " + key;
    }
}
