package dev.turnout.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsExchange;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** One admin call, read whole: its method, decoded path segments, query and body. */
final class AdminRequest {

    private final String method;
    private final String path;
    private final List<String> segments;
    private final Map<String, String> query;
    private final byte[] body;
    private final String who;
    private final String contentType;

    /** @param token the token the call carried, or null when none was needed */
    AdminRequest(HttpExchange exchange, byte[] body, AdminToken token) {
        this.method = exchange.getRequestMethod();
        this.path = exchange.getRequestURI().getRawPath();
        this.segments = segments(path);
        this.query = parseQuery(exchange.getRequestURI().getRawQuery());
        this.body = body;
        this.contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        this.who = who(exchange, token);
    }

    /** Whether the call is to {@code /api/...}, decided on the decoded segments that routing uses: "/%61pi/..." is too. */
    static boolean isApi(HttpExchange exchange) {
        List<String> segments = segments(exchange.getRequestURI().getRawPath());
        return !segments.isEmpty() && segments.get(0).equals("api");
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

    /**
     * Who made the call, for the audit log: the peer's address, then the token's name and the client
     * certificate's subject where there are any ({@code 10.0.0.7:51234 token=deploy cert="CN=ci"}).
     */
    String who() {
        return who;
    }

    private static String who(HttpExchange exchange, AdminToken token) {
        InetSocketAddress from = exchange.getRemoteAddress();
        StringBuilder who = new StringBuilder(from == null ? "-" : from.getAddress().getHostAddress() + ":" + from.getPort());
        if (token != null) {
            who.append(" token=").append(token.name());
        }
        if (exchange instanceof HttpsExchange https) {
            SSLSession session = https.getSSLSession();
            try {
                if (session != null) {
                    who.append(" cert=\"").append(session.getPeerPrincipal().getName()).append('"');
                }
            } catch (SSLPeerUnverifiedException noClientCertificate) {
                // TLS without client certificates: the address (and token) say who it was
            }
        }
        return who.toString();
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
