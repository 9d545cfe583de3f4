package dev.turnout.proxy.exchange;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Header rewriting between client and backend: hop-by-hop removal, X-Forwarded-*, request ids. Public
 * for the header-rewrite benchmark only.
 */
public final class ForwardedHeaders {

    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");
    private static final int MAX_REQUEST_ID_LENGTH = 128;
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final FastThreadLocal<char[]> ID_SCRATCH = new FastThreadLocal<>() {
        @Override
        protected char[] initialValue() {
            return new char[32];
        }
    };

    private ForwardedHeaders() {
    }

    /**
     * Turns a client request into the request the backend receives, in place: HTTP/1.1 so the
     * backend connection can be kept alive, hop-by-hop headers dropped, forwarding headers set.
     * X-Forwarded-For from a trusted proxy is kept and the proxy's address appended; from anyone else it
     * could be forged, so it is replaced by the client's address.
     *
     * @param peer        the connection's client address (a PROXY protocol header's, or the peer's)
     * @param peerTrusted {@code peer} is in {@code turnout.trusted-proxies}
     * @param hostHeader  the client's Host, or null; the backend's address stands in when absent
     * @param secure      the client connected over TLS ({@code X-Forwarded-Proto: https})
     */
    public static void prepareUpstreamRequest(HttpRequest request, String peer, boolean peerTrusted, String hostHeader,
            String backendAddress, String requestId, boolean secure) {
        HttpHeaders headers = request.headers();
        removeHopByHop(headers);
        // Every X-Forwarded-For line counts: the chain is their values in order, then the peer.
        List<String> forwardedFor = peerTrusted ? headers.getAll(X_FORWARDED_FOR) : List.of();
        headers.set(X_FORWARDED_FOR, forwardedFor.isEmpty() ? peer : String.join(", ", forwardedFor) + ", " + peer);
        headers.set(X_FORWARDED_PROTO, secure ? HTTPS : HTTP);
        if (hostHeader != null) {
            headers.set(X_FORWARDED_HOST, hostHeader);
        } else {
            headers.set(HttpHeaderNames.HOST, backendAddress);
        }
        headers.set(X_REQUEST_ID, requestId);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * Drops the headers that describe one connection (RFC 9110 7.6.1) and those the Connection
     * header names. Framing headers are never dropped by name: "Connection: content-length" must
     * not be able to strip a body's length and desynchronise the backend connection.
     */
    public static void removeHopByHop(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            // Every Connection line counts, not just the first; copied first, as removing while
            // iterating the same headers is not safe.
            for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
                removeNamedIn(headers, connection);
            }
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(PROXY_CONNECTION);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.UPGRADE);
    }

    /**
     * Removes the headers a Connection value names, without splitting it into strings. The usual
     * value, "keep-alive", names the Keep-Alive header, which is dropped anyway.
     */
    private static void removeNamedIn(HttpHeaders headers, String connection) {
        int start = 0;
        int length = connection.length();
        while (start <= length) {
            int comma = connection.indexOf(',', start);
            int end = comma < 0 ? length : comma;
            int from = start;
            int to = end;
            while (from < to && isOptionalWhitespace(connection.charAt(from))) {
                from++;
            }
            while (to > from && isOptionalWhitespace(connection.charAt(to - 1))) {
                to--;
            }
            if (to > from && !isTokenFor(connection, from, to, HttpHeaderValues.KEEP_ALIVE)) {
                String name = connection.substring(from, to);
                if (!isFraming(name)) {
                    headers.remove(name);
                }
            }
            start = end + 1;
        }
    }

    private static boolean isOptionalWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isTokenFor(String s, int from, int to, AsciiString token) {
        return to - from == token.length() && token.regionMatches(true, 0, s, from, to - from);
    }

    private static boolean isFraming(String name) {
        return HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.HOST.contentEqualsIgnoreCase(name);
    }

    /** The client's X-Request-Id when it is a sane token, otherwise a new random one. */
    public static String requestId(HttpHeaders headers) {
        String given = headers.get(X_REQUEST_ID);
        if (given != null && !given.isEmpty() && given.length() <= MAX_REQUEST_ID_LENGTH && isVisibleAscii(given)) {
            return given;
        }
        return newRequestId();
    }

    static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = ID_SCRATCH.get(); // the String copies it: only the String is new per request
        long bits = random.nextLong();
        for (int i = 0; i < 16; i++, bits >>>= 4) {
            id[i] = HEX[(int) (bits & 0xF)];
        }
        bits = random.nextLong();
        for (int i = 16; i < 32; i++, bits >>>= 4) {
            id[i] = HEX[(int) (bits & 0xF)];
        }
        return new String(id);
    }

    private static boolean isVisibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
