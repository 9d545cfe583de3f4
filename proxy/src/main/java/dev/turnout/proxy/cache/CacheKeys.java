package dev.turnout.proxy.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The keys of the cache. A resource is the pool, the host and the request target, one per line;
 * a variant adds the values of the request fields its answer varies on (RFC 9111 4.1).
 */
final class CacheKeys {

    private CacheKeys() {
    }

    static String resource(String pool, String host, String uri) {
        return pool + '\n' + (host == null ? "" : host.toLowerCase(Locale.ROOT)) + '\n' + uri;
    }

    /** The key of the variant of {@code resource} that a request with {@code request}'s fields selects. */
    static String variant(String resource, List<String> vary, HttpHeaders request) {
        return vary.isEmpty() ? resource : resource + selectingValues(vary, request);
    }

    /** The host and request target of a resource key (which starts with the pool). */
    static String target(String resource) {
        return resource.substring(resource.indexOf('\n') + 1);
    }

    /** The request targets of resource and variant keys start after the second line break. */
    static String requestTarget(String key) {
        return key.split("\n", 4)[2];
    }

    /** The field names an answer varies on: every line and list element, trimmed, lower case, sorted. */
    static List<String> varyNames(HttpHeaders response) {
        List<String> names = new ArrayList<>();
        for (String value : response.getAll(HttpHeaderNames.VARY)) {
            for (String name : value.split(",")) {
                String trimmed = name.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.isEmpty()) {
                    names.add(trimmed);
                }
            }
        }
        names.sort(null);
        return List.copyOf(names);
    }

    /** The path of a URI reference that names {@code host} or no host; null for another host. */
    static String sameHostPath(String reference, String host) {
        if (reference == null || reference.isEmpty()) {
            return null;
        }
        if (reference.startsWith("/") && !reference.startsWith("//")) {
            return reference;
        }
        int scheme = reference.indexOf("://");
        if (scheme < 0) {
            return null;
        }
        int pathStart = reference.indexOf('/', scheme + 3);
        String authority = reference.substring(scheme + 3, pathStart < 0 ? reference.length() : pathStart);
        return authority.equalsIgnoreCase(host) ? (pathStart < 0 ? "/" : reference.substring(pathStart)) : null;
    }

    /**
     * The part of the key that a request's selecting headers make (RFC 9111 4.1): per name the
     * values of all its lines, split at commas and trimmed; an absent header differs from an empty one.
     */
    private static String selectingValues(List<String> vary, HttpHeaders request) {
        StringBuilder key = new StringBuilder();
        for (String name : vary) {
            key.append('\n').append(name);
            List<String> lines = request.getAll(name);
            if (lines.isEmpty()) {
                continue;
            }
            key.append('=');
            String separator = "";
            for (String line : lines) {
                for (String value : line.split(",", -1)) {
                    key.append(separator).append(value.trim());
                    separator = ",";
                }
            }
        }
        return key.toString();
    }
}
