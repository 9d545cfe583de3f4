package dev.turnout.proxy.policy;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A route's redirect, answered by Turnout: a status and a {@code Location} made from a template whose
 * placeholders take the request's values. {@code {scheme}} is {@code http} or {@code https} as the client
 * connected, {@code {host}} the Host without its port, {@code {path}} the path as the client sent it, and
 * {@code {query}} the query with its {@code ?} (or nothing), so {@code https://{host}{path}{query}} is the
 * same URL over https. Immutable; the template is split into its parts once.
 */
public final class Redirect {

    /** The redirect statuses of RFC 9110 15.4 that name a Location to follow. */
    public static final Set<Integer> STATUSES = Set.of(301, 302, 303, 307, 308);
    static final List<String> PLACEHOLDERS = List.of("{scheme}", "{host}", "{path}", "{query}");

    private final String to;
    private final int status;
    // Literal text (a String) or a placeholder (a Placeholder), in order.
    private final Object[] parts;

    private enum Placeholder { SCHEME, HOST, PATH, QUERY }

    /**
     * @param to     a template {@link #problem} accepts
     * @param status one of {@link #STATUSES}
     */
    public Redirect(String to, int status) {
        String problem = problem(to);
        if (problem != null || !STATUSES.contains(status)) {
            throw new IllegalArgumentException(to + " " + status + ": " + (problem != null ? problem : "a redirect status"));
        }
        this.to = to;
        this.status = status;
        this.parts = split(to).toArray();
    }

    /** What is wrong with a template, or null: an unknown placeholder, an unclosed brace, a space or control character. */
    public static String problem(String to) {
        if (to.isEmpty()) {
            return "a URL or path, such as https://{host}{path}{query}";
        }
        for (int i = 0; i < to.length(); i++) {
            char c = to.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return "no spaces, control or non-ASCII characters (percent-encode them)";
            }
            if (c == '{') {
                int close = to.indexOf('}', i);
                String name = close < 0 ? to.substring(i) : to.substring(i, close + 1);
                if (!PLACEHOLDERS.contains(name)) {
                    return "placeholders " + String.join(", ", PLACEHOLDERS) + " only, not " + name;
                }
                i = close;
            }
        }
        return null;
    }

    private static List<Object> split(String to) {
        List<Object> parts = new ArrayList<>();
        int start = 0;
        int open;
        while ((open = to.indexOf('{', start)) >= 0) {
            if (open > start) {
                parts.add(to.substring(start, open));
            }
            int close = to.indexOf('}', open);
            parts.add(Placeholder.values()[PLACEHOLDERS.indexOf(to.substring(open, close + 1))]);
            start = close + 1;
        }
        if (start < to.length()) {
            parts.add(to.substring(start));
        }
        return parts;
    }

    public int status() {
        return status;
    }

    public String to() {
        return to;
    }

    /**
     * The answer to a request, with an empty body.
     *
     * @param host the Host header as received, or null
     * @param uri  the request target in origin-form, as the client sent it
     */
    public FullHttpResponse answer(boolean secure, String host, String uri) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        response.headers().set(HttpHeaderNames.LOCATION, location(secure, host, uri))
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    String location(boolean secure, String host, String uri) {
        int query = uri.indexOf('?');
        StringBuilder location = new StringBuilder(to.length() + uri.length() + 32);
        int pathEnd = query < 0 ? uri.length() : query;
        for (Object part : parts) {
            if (part instanceof Placeholder placeholder) {
                switch (placeholder) {
                    case SCHEME -> location.append(secure ? "https" : "http");
                    case HOST -> location.append(withoutPort(host));
                    case PATH -> location.append(uri, 0, pathEnd);
                    default -> location.append(uri, pathEnd, uri.length());
                }
            } else {
                location.append((String) part);
            }
        }
        return location.toString();
    }

    private static String withoutPort(String host) {
        if (host == null) {
            return "";
        }
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close < 0 ? host : host.substring(0, close + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Redirect r && r.to.equals(to) && r.status == status;
    }

    @Override
    public int hashCode() {
        return to.hashCode() * 31 + status;
    }

    @Override
    public String toString() {
        return status + " " + to;
    }
}
