package dev.turnout.proxy.testing;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * A response as read off the wire by {@link RawClient}.
 *
 * @param version   the status line's version, e.g. HTTP/1.1
 * @param headers   lower-case names; repeated headers joined with ", "
 * @param body      the body, or null when it was not kept
 * @param truncated the connection ended before the body did
 */
public record RawResponse(String version, int status, Map<String, String> headers, byte[] body, long bodyLength,
        long bodyCrc, boolean truncated) {

    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public boolean hasHeader(String name) {
        return headers.containsKey(name.toLowerCase(Locale.ROOT));
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The response says the connection closes after it. */
    public boolean closes() {
        String connection = header("connection");
        return connection != null && connection.toLowerCase(Locale.ROOT).contains("close");
    }

    @Override
    public String toString() {
        return version + " " + status + " " + headers + (body == null ? "" : " body=" + bodyText());
    }
}
