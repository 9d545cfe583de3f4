package dev.turnout.proxy.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Set;

/**
 * The directives that govern storing a response here (RFC 9213): {@code Turnout-Cache-Control}
 * when present and valid, else {@code CDN-Cache-Control}, else {@code Cache-Control} and
 * {@code Expires}. The fields themselves pass downstream unchanged.
 */
record Directives(CacheControl cc, boolean targeted) {

    static Directives of(HttpHeaders response) {
        CacheControl own = CacheControl.parseTargeted(response.getAll(ResponseCache.TURNOUT_CACHE_CONTROL));
        if (own != null) {
            return new Directives(own, true);
        }
        CacheControl cdn = CacheControl.parseTargeted(response.getAll(ResponseCache.CDN_CACHE_CONTROL));
        if (cdn != null) {
            return new Directives(cdn, true);
        }
        return new Directives(CacheControl.parse(response.getAll(HttpHeaderNames.CACHE_CONTROL)), false);
    }

    /**
     * Statuses RFC 9110 15.1 lets a cache store without explicit freshness; a 206 is stored as an
     * incomplete 200 (RFC 9111 3.3), so 200 covers it.
     */
    private static final Set<Integer> HEURISTICALLY_CACHEABLE = Set.of(200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501);

    /**
     * Seconds of freshness from age 0: the explicit lifetime when the answer has one; otherwise
     * (RFC 9111 4.2.2) a tenth of the time since its {@code Last-Modified}, as Apache httpd and
     * Traffic Server reckon it, at most {@code heuristicMaxSeconds}, for a status RFC 9110 15.1
     * calls heuristically cacheable or an answer marked {@code public}.
     */
    long freshnessSeconds(int status, HttpHeaders response, long heuristicMaxSeconds) {
        if (cc.noCache() || cc.sMaxAge() >= 0 || cc.maxAge() >= 0 || (!targeted && response.contains(HttpHeaderNames.EXPIRES))) {
            return lifetimeSeconds(response);
        }
        if (heuristicMaxSeconds <= 0 || !(HEURISTICALLY_CACHEABLE.contains(status) || cc.isPublic())) {
            return 0;
        }
        long modified = HttpDate.parseSingle(response.getAll(HttpHeaderNames.LAST_MODIFIED));
        if (modified == Long.MIN_VALUE) {
            return 0;
        }
        long date = HttpDate.parseSingle(response.getAll(HttpHeaderNames.DATE));
        long unchangedSeconds = ((date != Long.MIN_VALUE ? date : System.currentTimeMillis()) - modified) / 1000;
        return Math.max(0, Math.min(unchangedSeconds / 10, heuristicMaxSeconds));
    }

    /** Seconds of freshness from age 0: s-maxage, max-age, or Expires less Date; 0 for none. */
    long lifetimeSeconds(HttpHeaders response) {
        if (cc.noCache()) {
            return 0; // stale from the start: revalidated before each use
        }
        if (cc.sMaxAge() >= 0) {
            return cc.sMaxAge();
        }
        if (cc.maxAge() >= 0) {
            return cc.maxAge();
        }
        List<String> expires = response.getAll(HttpHeaderNames.EXPIRES);
        if (targeted || expires.isEmpty()) {
            return 0;
        }
        long expiry = HttpDate.parseSingle(expires);
        if (expiry == Long.MIN_VALUE) {
            return 0; // an invalid Expires means already expired (RFC 9111 5.3)
        }
        long date = HttpDate.parseSingle(response.getAll(HttpHeaderNames.DATE));
        long base = date != Long.MIN_VALUE ? date : System.currentTimeMillis();
        return Math.max(0, (expiry - base) / 1000);
    }

    /** must-revalidate, proxy-revalidate, s-maxage (RFC 9111 5.2.2.10) and no-cache forbid serving it stale. */
    boolean forbidsStale() {
        return cc.mustRevalidate() || cc.sMaxAge() >= 0 || cc.noCache();
    }
}
