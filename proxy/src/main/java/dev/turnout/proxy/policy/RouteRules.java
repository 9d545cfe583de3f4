package dev.turnout.proxy.policy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A route's traffic rules as configured, each optional, in the order they apply: the access list
 * ({@code allow}, {@code deny}), the redirect, the rate limit, the request header rules, the path rewrite,
 * then (on the answer) the response header rules. Immutable and compared by value, so that a
 * configuration read again can tell an unchanged route from a changed one.
 *
 * @param allow    when not empty, only these clients pass
 * @param deny     these clients never pass, even when {@code allow} names them
 * @param redirect the answer to every request instead of proxying, or null
 * @param rateLimit or null
 * @param rewrite  or null
 */
public record RouteRules(AddressList allow, AddressList deny, Redirect redirect, RateLimit rateLimit,
        HeaderRules requestHeaders, HeaderRules responseHeaders, PathRewrite rewrite) {

    public static final RouteRules NONE = new RouteRules(AddressList.EMPTY, AddressList.EMPTY, null, null, HeaderRules.NONE,
            HeaderRules.NONE, null);

    public boolean isEmpty() {
        return equals(NONE);
    }

    /** Each rule in force, by its configuration key, as the status page shows it. */
    public Map<String, String> summary() {
        Map<String, String> summary = new LinkedHashMap<>();
        if (!allow.isEmpty()) {
            summary.put("allow", allow.toString());
        }
        if (!deny.isEmpty()) {
            summary.put("deny", deny.toString());
        }
        if (redirect != null) {
            summary.put("redirect", redirect.toString());
        }
        if (rateLimit != null) {
            summary.put("rate-limit", rateLimit.toString());
        }
        if (!requestHeaders.isEmpty()) {
            summary.put("request-headers", requestHeaders.toString());
        }
        if (rewrite != null) {
            summary.put("rewrite", rewrite.toString());
        }
        if (!responseHeaders.isEmpty()) {
            summary.put("response-headers", responseHeaders.toString());
        }
        return Collections.unmodifiableMap(summary);
    }
}
