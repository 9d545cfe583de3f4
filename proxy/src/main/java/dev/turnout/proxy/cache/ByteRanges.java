package dev.turnout.proxy.cache;

/**
 * The byte ranges this cache reads (RFC 9110 14): one range of a request's {@code Range}, and the
 * {@code Content-Range} of a 206. Anything else (several ranges, another unit, a syntax error) is
 * left to the origin or answered whole.
 */
final class ByteRanges {

    /** A range that starts past the end of the representation (416). */
    static final long[] UNSATISFIABLE = new long[0];

    private ByteRanges() {
    }

    /**
     * The one byte range {@code range} asks of a representation of {@code length} bytes, as
     * {first, last}; {@link #UNSATISFIABLE} when it starts past the end; null when it is not one
     * byte range (RFC 9110 14.1.2).
     */
    static long[] requested(String range, long length) {
        String spec = range.trim();
        if (!spec.regionMatches(true, 0, "bytes=", 0, 6) || spec.indexOf(',') >= 0) {
            return null;
        }
        String bounds = spec.substring(6).trim();
        int dash = bounds.indexOf('-');
        try {
            String from = bounds.substring(0, Math.max(dash, 0)).trim();
            String to = dash < 0 ? "" : bounds.substring(dash + 1).trim();
            if (dash < 0 || (from.isEmpty() && to.isEmpty()) || from.startsWith("-") || to.startsWith("-")) {
                return null;
            }
            if (from.isEmpty()) {
                long suffix = Long.parseLong(to);
                return suffix == 0 || length == 0 ? UNSATISFIABLE : new long[] {Math.max(0, length - suffix), length - 1};
            }
            long first = Long.parseLong(from);
            long last = to.isEmpty() ? Long.MAX_VALUE : Long.parseLong(to);
            if (last < first) {
                return null;
            }
            return first >= length ? UNSATISFIABLE : new long[] {first, Math.min(last, length - 1)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * A 206's {@code Content-Range} (RFC 9110 14.4), as {first, last, complete length}; null unless
     * it is exactly {@code bytes first-last/length} with a known length that holds the range.
     */
    static long[] contentRange(String value) {
        if (value == null || !value.startsWith("bytes ")) {
            return null;
        }
        int dash = value.indexOf('-', 6);
        int slash = value.indexOf('/', 6);
        if (dash < 0 || slash < dash) {
            return null;
        }
        long first = digits(value, 6, dash);
        long last = digits(value, dash + 1, slash);
        long length = digits(value, slash + 1, value.length());
        return first < 0 || last < first || length <= last ? null : new long[] {first, last, length};
    }

    /** The number written in {@code text[from, to)}: only digits, at most 18 of them; else -1. */
    private static long digits(String text, int from, int to) {
        if (from >= to || to - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
