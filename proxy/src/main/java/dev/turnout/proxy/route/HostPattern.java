package dev.turnout.proxy.route;

/**
 * Matches a request's host (already lower-cased, port removed) against {@code *}, an exact
 * name, or {@code *.suffix}, which matches any name ending in {@code .suffix} but not the
 * suffix itself, as in nginx's {@code server_name}.
 */
final class HostPattern {

    private final String exact;
    private final String suffix;

    private HostPattern(String exact, String suffix) {
        this.exact = exact;
        this.suffix = suffix;
    }

    static HostPattern of(String pattern) {
        if (pattern.equals("*")) {
            return new HostPattern(null, null);
        }
        if (pattern.startsWith("*.")) {
            return new HostPattern(null, pattern.substring(1));
        }
        return new HostPattern(pattern, null);
    }

    boolean matches(String host) {
        if (exact != null) {
            return exact.equals(host);
        }
        return suffix == null || (host.length() > suffix.length() && host.endsWith(suffix));
    }
}
