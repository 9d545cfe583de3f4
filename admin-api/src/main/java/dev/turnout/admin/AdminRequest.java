package dev.turnout.admin;

import com.sun.net.httpserver.HttpExchange;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One admin call, read whole: its method, decoded path segments, query and body. */
final class AdminRequest {

    private final String method;
    private final String path;
    private final List<String> segments;
    private final Map<String, String> query;
    private final byte[] body;
    private final String remote;
    private final String contentType;

    AdminRequest(HttpExchange exchange, byte[] body) {
        this.method = exchange.getRequestMethod();
        this.path = exchange.getRequestURI().getRawPath();
        this.segments = segments(path);
        this.query = parseQuery(exchange.getRequestURI().getRawQuery());
        this.body = body;
        this.contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        InetSocketAddress from = exchange.getRemoteAddress();
        this.remote = from == null ? "-" : from.getAddress().getHostAddress() + ":" + from.getPort();
    }

    String method() {
        return method;
    }

    String path() {
        return path;
    }

    List<String> segments() {
        return segments;
    }

    String query(String name) {
        return query.get(name);
    }

    byte[] body() {
        return body;
    }

    /** The Content-Type header as sent, or null. */
    String contentType() {
        return contentType;
    }

    /** Who made the call, for the audit log. */
    String remote() {
        return remote;
    }

    private static List<String> segments(String rawPath) {
        List<String> parts = new ArrayList<>();
        for (String part : rawPath.split("/")) {
            if (!part.isEmpty()) {
                parts.add(URLDecoder.decode(part, StandardCharsets.UTF_8));
            }
        }
        return parts;
    }

    private static Map<String, String> parseQuery(String rawQuery) {
        Map<String, String> params = new HashMap<>();
        if (rawQuery == null) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(name, value);
        }
        return params;
    }
}
