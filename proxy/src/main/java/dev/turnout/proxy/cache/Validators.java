package dev.turnout.proxy.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Comparisons of validators (RFC 9110 8.8): which stored answer a 304 or a 206 speaks of, and
 * whether an {@code If-Range} holds.
 */
final class Validators {

    /** RFC 9110 8.8.2.2: a cache may take a Last-Modified this far before its Date as strong. */
    private static final long STRONG_LAST_MODIFIED_MILLIS = 60_000;

    private Validators() {
    }

    /**
     * The strong validator of the representation these fields describe, as a key to compare: its
     * {@code ETag} when that is strong, or without an {@code ETag}, a {@code Last-Modified} at least
     * 60 s before its {@code Date} (RFC 9110 8.8.2.2); null when it has none.
     */
    static String strong(HttpHeaders fields) {
        String etag = fields.get(HttpHeaderNames.ETAG);
        if (etag != null) {
            return weak(etag) ? null : "etag " + etag;
        }
        return strongLastModified(fields) ? "last-modified " + fields.get(HttpHeaderNames.LAST_MODIFIED) : null;
    }

    /**
     * Whether a request's {@code If-Range} holds for a stored answer (RFC 9110 13.1.5): an entity
     * tag matches its strong {@code ETag} by the strong comparison, a date its strong
     * {@code Last-Modified} exactly.
     */
    static boolean ifRangeHolds(String ifRange, HttpHeaders stored) {
        String condition = ifRange.trim();
        if (condition.startsWith("\"") || condition.startsWith("W/")) {
            String etag = stored.get(HttpHeaderNames.ETAG);
            return !weak(condition) && condition.equals(etag);
        }
        return strongLastModified(stored) && condition.equals(stored.get(HttpHeaderNames.LAST_MODIFIED));
    }

    /**
     * Whether a 304 from the origin selects a stored answer for an update (RFC 9111 4.3.4): its
     * strong {@code ETag} is the stored one; or a weak one matches the stored one weakly; or without an
     * {@code ETag} its {@code Last-Modified} is the stored one; or, with no validator, the stored answer
     * has none either.
     */
    static boolean selects(HttpHeaders notModified, HttpHeaders stored) {
        String etag = notModified.get(HttpHeaderNames.ETAG);
        String storedEtag = stored.get(HttpHeaderNames.ETAG);
        if (etag != null) {
            return storedEtag != null && (weak(etag) ? weakMatch(etag, storedEtag) : etag.equals(storedEtag));
        }
        String lastModified = notModified.get(HttpHeaderNames.LAST_MODIFIED);
        if (lastModified != null) {
            return lastModified.equals(stored.get(HttpHeaderNames.LAST_MODIFIED));
        }
        return storedEtag == null && !stored.contains(HttpHeaderNames.LAST_MODIFIED);
    }

    /** The weak comparison of two entity tags (RFC 9110 8.8.3.2). */
    static boolean weakMatch(String a, String b) {
        return opaque(a).equals(opaque(b));
    }

    private static boolean weak(String etag) {
        return etag.startsWith("W/");
    }

    private static String opaque(String etag) {
        return weak(etag) ? etag.substring(2) : etag;
    }

    private static boolean strongLastModified(HttpHeaders fields) {
        long modified = HttpDate.parseSingle(fields.getAll(HttpHeaderNames.LAST_MODIFIED));
        long date = HttpDate.parseSingle(fields.getAll(HttpHeaderNames.DATE));
        return modified != Long.MIN_VALUE && date != Long.MIN_VALUE && date - modified >= STRONG_LAST_MODIFIED_MILLIS;
    }
}
