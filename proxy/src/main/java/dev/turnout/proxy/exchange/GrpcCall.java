package dev.turnout.proxy.exchange;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an exchange does differently for a gRPC call (a request whose {@code content-type} is
 * {@code application/grpc}, {@code application/grpc+proto} ...): failures Turnout produces itself
 * are gRPC statuses (HTTP 200, {@code grpc-status} and {@code grpc-message}) rather than an HTML
 * or text page, the call's {@code grpc-timeout} bounds the backend exchange, and the answer is
 * never cached. One per client connection, reset for each exchange.
 */
final class GrpcCall {

    static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
    private static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");
    private static final Pattern TIMEOUT = Pattern.compile("(\\d{1,8})([HMSmun])");

    // gRPC status codes (grpc/doc/statuscodes.md).
    static final int UNKNOWN = 2;
    static final int DEADLINE_EXCEEDED = 4;
    static final int RESOURCE_EXHAUSTED = 8;
    static final int UNIMPLEMENTED = 12;
    static final int INTERNAL = 13;
    static final int UNAVAILABLE = 14;

    private boolean active;
    private ScheduledFuture<?> deadline;

    /** A new exchange: whether {@code head} is a gRPC call. */
    void begin(HttpRequest head) {
        active = isGrpc(head.headers());
    }

    /**
     * The call goes to a backend: if it carries a {@code grpc-timeout}, {@code onDeadline} runs on
     * {@code loop} when that time is up (unless {@link #end} came first).
     */
    void startDeadline(HttpRequest head, EventLoop loop, Runnable onDeadline) {
        long timeoutNanos = active ? timeoutNanos(head.headers().get(GRPC_TIMEOUT)) : -1;
        if (timeoutNanos >= 0 && deadline == null) {
            deadline = loop.schedule(onDeadline, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    boolean active() {
        return active;
    }

    /** Whether the call's own deadline bounds the backend exchange (instead of the response timeout). */
    boolean hasDeadline() {
        return deadline != null;
    }

    void end() {
        active = false;
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    static boolean isGrpc(HttpHeaders headers) {
        String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && APPLICATION_GRPC.regionMatches(true, 0, type, 0, APPLICATION_GRPC.length())
                && (type.length() == APPLICATION_GRPC.length() || type.charAt(APPLICATION_GRPC.length()) == '+'
                        || type.charAt(APPLICATION_GRPC.length()) == ';');
    }

    /** {@code grpc-timeout} (up to 8 digits and a unit: H, M, S, m, u, n) in nanoseconds, or -1 when absent or invalid. */
    static long timeoutNanos(String value) {
        if (value == null) {
            return -1;
        }
        Matcher m = TIMEOUT.matcher(value.trim());
        if (!m.matches()) {
            return -1;
        }
        long amount = Long.parseLong(m.group(1));
        TimeUnit unit = switch (m.group(2).charAt(0)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            default -> TimeUnit.NANOSECONDS;
        };
        return unit.toNanos(amount);
    }

    /** The gRPC status for a failure Turnout produced, as gRPC maps the HTTP statuses a proxy answers. */
    static int status(ProxyFailure failure) {
        return switch (failure) {
            case NO_ROUTE -> UNIMPLEMENTED;
            case PAYLOAD_TOO_LARGE, HEADERS_TOO_LARGE, URI_TOO_LONG -> RESOURCE_EXHAUSTED;
            case CONNECT_TIMEOUT, RESPONSE_TIMEOUT, DEADLINE_EXCEEDED, CLIENT_TIMEOUT -> DEADLINE_EXCEEDED;
            case NO_BACKEND, BACKEND_AT_CAPACITY, CONNECT_REFUSED, RESET_BEFORE_RESPONSE, BAD_RESPONSE, TLS_FAILED,
                    STREAM_REFUSED -> UNAVAILABLE;
            default -> INTERNAL;
        };
    }

    /**
     * A trailers-only answer for {@code failure}: HTTP 200 whose head carries {@code grpc-status} and
     * {@code grpc-message} and ends the stream.
     */
    static FullHttpResponse errorAnswer(ProxyFailure failure) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.EMPTY_BUFFER);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_GRPC)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        statusInto(response.headers(), failure);
        return response;
    }

    /** The end of an answer that had begun when {@code failure} struck: trailers with its status. */
    static LastHttpContent errorTrailers(ProxyFailure failure) {
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        statusInto(last.trailingHeaders(), failure);
        return last;
    }

    private static void statusInto(HttpHeaders headers, ProxyFailure failure) {
        headers.setInt(GRPC_STATUS, status(failure)).set(GRPC_MESSAGE, percentEncoded("turnout: " + failure.message()));
    }

    /** grpc-message's encoding: printable ASCII but '%' as is, everything else as %XX of its UTF-8 bytes. */
    static String percentEncoded(String message) {
        StringBuilder out = new StringBuilder(message.length());
        for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
            if (b >= 0x20 && b <= 0x7e && b != '%') {
                out.append((char) b);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
