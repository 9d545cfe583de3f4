package dev.turnout.proxy.cache;

import java.util.Locale;

/** The {@code Cache-Control} directives a shared cache acts on (RFC 9111 5.2), parsed once. */
record CacheControl(boolean noStore, boolean noCache, boolean isPrivate, boolean isPublic, boolean mustRevalidate,
        long maxAge, long sMaxAge, long staleIfError, long staleWhileRevalidate) {

    static CacheControl parse(Iterable<String> headerValues) {
        boolean noStore = false;
        boolean noCache = false;
        boolean isPrivate = false;
        boolean isPublic = false;
        boolean mustRevalidate = false;
        long maxAge = -1;
        long sMaxAge = -1;
        long staleIfError = 0;
        long staleWhileRevalidate = 0;
        for (String value : headerValues) {
            for (String part : value.split(",")) {
                String directive = part.trim().toLowerCase(Locale.ROOT);
                int eq = directive.indexOf('=');
                String name = eq < 0 ? directive : directive.substring(0, eq).trim();
                String argument = eq < 0 ? "" : directive.substring(eq + 1).trim().replace("\"", "");
                switch (name) {
                    case "no-store" -> noStore = true;
                    case "no-cache" -> noCache = true;
                    case "private" -> isPrivate = true;
                    case "public" -> isPublic = true;
                    case "must-revalidate", "proxy-revalidate" -> mustRevalidate = true;
                    case "max-age" -> maxAge = seconds(argument);
                    case "s-maxage" -> sMaxAge = seconds(argument);
                    case "stale-if-error" -> staleIfError = seconds(argument);
                    case "stale-while-revalidate" -> staleWhileRevalidate = seconds(argument);
                    default -> {
                        // Other directives (immutable, no-transform...) change nothing for a proxy's cache.
                    }
                }
            }
        }
        return new CacheControl(noStore, noCache, isPrivate, isPublic, mustRevalidate, maxAge, sMaxAge, staleIfError,
                staleWhileRevalidate);
    }

    /** A delta-seconds value; an invalid one counts as 0, as RFC 9111 1.2.2 advises (stale). */
    private static long seconds(String text) {
        try {
            return Math.max(0, Long.parseLong(text));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
