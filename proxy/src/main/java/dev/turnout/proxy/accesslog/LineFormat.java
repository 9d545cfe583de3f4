package dev.turnout.proxy.accesslog;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * An access-log line written straight into a byte array: the fields and formats of
 * {@link LoggerAccessLog} with conf/logback.xml ({@code text}: its pattern; {@code json}: one Elastic Common
 * Schema object a line, as its Logstash encoder writes), without a logging event, a formatted
 * {@code String} or an encoder per line.
 *
 * <p>Bytes a log reader would trip on are escaped: in text as nginx does ({@code \xHH} for control
 * bytes, quotes, backslashes and bytes above 0x7e), in JSON by JSON's rules.
 */
public enum LineFormat {
    TEXT, JSON;

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JSON_HEAD = bytes("{\"@timestamp\":\"");
    private static final byte[] JSON_MESSAGE =
            bytes("\",\"log.level\":\"INFO\",\"log.logger\":\"turnout.access\",\"message\":\"");
    private static final byte[] JSON_CLIENT = bytes("\",\"client.ip\":\"");
    private static final byte[] JSON_METHOD = bytes("\",\"http.request.method\":\"");
    private static final byte[] JSON_URL = bytes("\",\"url.original\":\"");
    private static final byte[] JSON_STATUS = bytes("\",\"http.response.status_code\":");
    private static final byte[] JSON_BYTES = bytes(",\"http.response.body.bytes\":");
    private static final byte[] JSON_DURATION = bytes(",\"event.duration\":");
    private static final byte[] JSON_ID = bytes(",\"http.request.id\":\"");
    private static final byte[] JSON_ROUTE = bytes("\",\"turnout.route\":\"");
    private static final byte[] JSON_POOL = bytes("\",\"turnout.pool\":\"");
    private static final byte[] JSON_BACKEND = bytes("\",\"turnout.backend\":\"");
    private static final byte[] JSON_END = bytes("\"}\n");
    private static final byte[] MS_ROUTE = bytes("ms route=");
    private static final byte[] POOL = bytes(" pool=");
    private static final byte[] BACKEND = bytes(" backend=");
    private static final byte[] ID = bytes(" id=");
    /** Room for everything but the strings: keys, numbers, the timestamp. */
    private static final int FIXED = 400;
    private static final DateTimeFormatter TEXT_SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final DateTimeFormatter JSON_SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    /**
     * The most bytes a line with these strings can take: every char escaped to six bytes, and in
     * JSON the message repeats the fields.
     */
    int maxLength(String clientIp, String method, String uri, String route, String pool, String backend,
            String requestId) {
        int chars = clientIp.length() + method.length() + uri.length() + route.length() + pool.length() + backend.length()
                + requestId.length();
        return FIXED + chars * (this == JSON ? 12 : 6);
    }

    /** Writes one line at {@code at}; returns the position after its newline. */
    int write(byte[] out, int at, Clock clock, long epochMillis, String clientIp, String method, String uri, int status,
            long bodyBytes, long durationNanos, String route, String pool, String backend, String requestId) {
        int p = at;
        if (this == TEXT) {
            p = clock.text(out, p, epochMillis);
            out[p++] = ' ';
            p = message(out, p, clientIp, method, uri, status, bodyBytes, durationNanos, route, pool, backend, requestId);
            out[p++] = '\n';
            return p;
        }
        p = put(out, p, JSON_HEAD);
        p = clock.json(out, p, epochMillis);
        p = put(out, p, JSON_MESSAGE);
        int message = p;
        p = message(out, p, clientIp, method, uri, status, bodyBytes, durationNanos, route, pool, backend, requestId);
        p = jsonEscapeInPlace(out, message, p);
        p = put(out, p, JSON_CLIENT);
        p = json(out, p, clientIp);
        p = put(out, p, JSON_METHOD);
        p = json(out, p, method);
        p = put(out, p, JSON_URL);
        p = json(out, p, uri);
        p = put(out, p, JSON_STATUS);
        p = decimal(out, p, status);
        p = put(out, p, JSON_BYTES);
        p = decimal(out, p, bodyBytes);
        p = put(out, p, JSON_DURATION);
        p = decimal(out, p, durationNanos);
        p = put(out, p, JSON_ID);
        p = json(out, p, requestId);
        p = put(out, p, JSON_ROUTE);
        p = json(out, p, route);
        p = put(out, p, JSON_POOL);
        p = json(out, p, pool);
        p = put(out, p, JSON_BACKEND);
        p = json(out, p, backend);
        return put(out, p, JSON_END);
    }

    /** {@code client "METHOD target" status bytes 2.500ms route= pool= backend= id=}, text-escaped. */
    private static int message(byte[] out, int at, String clientIp, String method, String uri, int status, long bodyBytes,
            long durationNanos, String route, String pool, String backend, String requestId) {
        int p = text(out, at, clientIp);
        out[p++] = ' ';
        out[p++] = '"';
        p = text(out, p, method);
        out[p++] = ' ';
        p = text(out, p, uri);
        out[p++] = '"';
        out[p++] = ' ';
        p = decimal(out, p, status);
        out[p++] = ' ';
        p = decimal(out, p, bodyBytes);
        out[p++] = ' ';
        long micros = durationNanos / 1000;
        p = decimal(out, p, micros / 1000);
        out[p++] = '.';
        int fraction = (int) (micros % 1000);
        out[p++] = (byte) ('0' + fraction / 100);
        out[p++] = (byte) ('0' + fraction / 10 % 10);
        out[p++] = (byte) ('0' + fraction % 10);
        p = put(out, p, MS_ROUTE);
        p = text(out, p, route);
        p = put(out, p, POOL);
        p = text(out, p, pool);
        p = put(out, p, BACKEND);
        p = text(out, p, backend);
        p = put(out, p, ID);
        return text(out, p, requestId);
    }

    private static int text(byte[] out, int at, String s) {
        int p = at;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0xff) {
                p = utf8(out, p, c);
            } else if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                out[p++] = '\\';
                out[p++] = 'x';
                out[p++] = HEX[c >> 4];
                out[p++] = HEX[c & 0xf];
            } else {
                out[p++] = (byte) c;
            }
        }
        return p;
    }

    private static int json(byte[] out, int at, String s) {
        int p = at;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0xff) {
                p = utf8(out, p, c);
            } else {
                p = jsonByte(out, p, c);
            }
        }
        return p;
    }

    /**
     * JSON-escapes the text line in {@code [from, to)}: only its quotes and backslashes can need it
     * (text escaping left no control byte), and each becomes two bytes, so the range is rewritten
     * from its end.
     */
    private static int jsonEscapeInPlace(byte[] out, int from, int to) {
        int escapes = 0;
        for (int i = from; i < to; i++) {
            if (out[i] == '\\' || out[i] == '"') {
                escapes++;
            }
        }
        int end = to + escapes;
        for (int read = to - 1, write = end - 1; escapes > 0; read--) {
            byte b = out[read];
            out[write--] = b;
            if (b == '\\' || b == '"') {
                out[write--] = '\\';
                escapes--;
            }
        }
        return end;
    }

    private static int jsonByte(byte[] out, int at, char c) {
        int p = at;
        if (c == '"' || c == '\\') {
            out[p++] = '\\';
            out[p++] = (byte) c;
        } else if (c < 0x20 || c > 0x7e) {
            out[p++] = '\\';
            out[p++] = 'u';
            out[p++] = '0';
            out[p++] = '0';
            out[p++] = HEX[c >> 4];
            out[p++] = HEX[c & 0xf];
        } else {
            out[p++] = (byte) c;
        }
        return p;
    }

    /** A char of a configured name (route, pool) beyond Latin-1, as UTF-8; a lone surrogate as '?'. */
    private static int utf8(byte[] out, int at, char c) {
        int p = at;
        if (Character.isSurrogate(c)) {
            out[p++] = '?';
        } else if (c < 0x800) {
            out[p++] = (byte) (0xc0 | c >> 6);
            out[p++] = (byte) (0x80 | c & 0x3f);
        } else {
            out[p++] = (byte) (0xe0 | c >> 12);
            out[p++] = (byte) (0x80 | c >> 6 & 0x3f);
            out[p++] = (byte) (0x80 | c & 0x3f);
        }
        return p;
    }

    private static int decimal(byte[] out, int at, long value) {
        if (value < 0) {
            out[at] = '-';
            return decimal(out, at + 1, -value);
        }
        int digits = 1;
        for (long v = value; v >= 10; v /= 10) {
            digits++;
        }
        long v = value;
        for (int i = at + digits - 1; i >= at; i--) {
            out[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return at + digits;
    }

    private static int put(byte[] out, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, out, at, bytes.length);
        return at + bytes.length;
    }

    private static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The timestamp's date and time of day, formatted once a second per writing thread: text in the
     * machine's zone as Logback's ISO8601 ({@code 2026-12-06 23:50:52,123}), JSON in UTC
     * ({@code 2026-12-06T23:50:52.123Z}).
     */
    static final class Clock {
        private final ZoneId zone;
        private long second = Long.MIN_VALUE;
        private final byte[] text = new byte[19];
        private final byte[] json = new byte[19];

        Clock(ZoneId zone) {
            this.zone = zone;
        }

        int text(byte[] out, int at, long epochMillis) {
            refresh(epochMillis);
            int p = put(out, at, text);
            out[p++] = ',';
            return millis(out, p, epochMillis);
        }

        int json(byte[] out, int at, long epochMillis) {
            refresh(epochMillis);
            int p = put(out, at, json);
            out[p++] = '.';
            p = millis(out, p, epochMillis);
            out[p++] = 'Z';
            return p;
        }

        private void refresh(long epochMillis) {
            long s = Math.floorDiv(epochMillis, 1000);
            if (s != second) {
                second = s;
                Instant instant = Instant.ofEpochSecond(s);
                put(text, 0, bytes(TEXT_SECOND.format(LocalDateTime.ofInstant(instant, zone))));
                put(json, 0, bytes(JSON_SECOND.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC))));
            }
        }

        private static int millis(byte[] out, int at, long epochMillis) {
            int ms = (int) Math.floorMod(epochMillis, 1000L);
            out[at] = (byte) ('0' + ms / 100);
            out[at + 1] = (byte) ('0' + ms / 10 % 10);
            out[at + 2] = (byte) ('0' + ms % 10);
            return at + 3;
        }
    }
}
