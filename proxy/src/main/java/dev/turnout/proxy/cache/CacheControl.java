package dev.turnout.proxy.cache;

import java.util.List;
import java.util.Locale;

/**
 * The cache directives a shared cache acts on (RFC 9111 5.2), parsed once: from
 * {@code Cache-Control}, or from a targeted field (RFC 9213: {@code CDN-Cache-Control},
 * {@code Turnout-Cache-Control}), which is a Structured Field Dictionary (RFC 8941).
 */
record CacheControl(boolean noStore, boolean noCache, boolean isPrivate, boolean isPublic, boolean mustRevalidate,
        long maxAge, long sMaxAge, long staleIfError, long staleWhileRevalidate, boolean mustUnderstand) {

    /** No directive: what a request without {@code Cache-Control} asks, without parsing anything. */
    static final CacheControl NONE = new Builder().build();

    /** {@code Cache-Control}, leniently: what cannot be read is skipped, and a bad delta-seconds is 0. */
    static CacheControl parse(Iterable<String> headerValues) {
        Builder b = new Builder();
        for (String value : headerValues) {
            for (String part : value.split(",")) {
                String directive = part.trim().toLowerCase(Locale.ROOT);
                int eq = directive.indexOf('=');
                String name = eq < 0 ? directive : directive.substring(0, eq).trim();
                String argument = eq < 0 ? "" : directive.substring(eq + 1).trim().replace("\"", "");
                b.directive(name, true, seconds(argument));
            }
        }
        return b.build();
    }

    /**
     * A targeted field (RFC 9213 2.1), or null when there is none or it does not parse as a
     * dictionary, in which case it is ignored. A directive with a value of the wrong type is ignored.
     */
    static CacheControl parseTargeted(List<String> headerValues) {
        if (headerValues.isEmpty()) {
            return null;
        }
        StructuredDictionary dictionary = StructuredDictionary.parse(String.join(", ", headerValues));
        if (dictionary == null) {
            return null;
        }
        Builder b = new Builder();
        dictionary.forEach((name, value) -> {
            if (value instanceof Boolean flag) {
                b.directive(name, flag, -1);
            } else if (value instanceof Long number && number >= 0) {
                b.directive(name, true, number);
            }
        });
        return b.build();
    }

    /** A delta-seconds value; an invalid one counts as 0, as RFC 9111 1.2.2 advises (stale). */
    private static long seconds(String text) {
        try {
            return Math.max(0, Long.parseLong(text));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static final class Builder {
        private boolean noStore;
        private boolean noCache;
        private boolean isPrivate;
        private boolean isPublic;
        private boolean mustRevalidate;
        private long maxAge = -1;
        private long sMaxAge = -1;
        private long staleIfError;
        private long staleWhileRevalidate;
        private boolean mustUnderstand;

        /** @param seconds the directive's delta-seconds, or -1 when it has none */
        void directive(String name, boolean set, long seconds) {
            if (!set) {
                return;
            }
            switch (name) {
                case "no-store" -> noStore = true;
                case "no-cache" -> noCache = true;
                case "private" -> isPrivate = true;
                case "public" -> isPublic = true;
                case "must-revalidate", "proxy-revalidate" -> mustRevalidate = true;
                case "must-understand" -> mustUnderstand = true;
                case "max-age" -> maxAge = seconds < 0 ? maxAge : seconds;
                case "s-maxage" -> sMaxAge = seconds < 0 ? sMaxAge : seconds;
                case "stale-if-error" -> staleIfError = Math.max(staleIfError, seconds);
                case "stale-while-revalidate" -> staleWhileRevalidate = Math.max(staleWhileRevalidate, seconds);
                default -> {
                    // Other directives (immutable, no-transform...) change nothing for a proxy's cache.
                }
            }
        }

        CacheControl build() {
            return new CacheControl(noStore, noCache, isPrivate, isPublic, mustRevalidate, maxAge, sMaxAge, staleIfError,
                    staleWhileRevalidate, mustUnderstand);
        }
    }
}
