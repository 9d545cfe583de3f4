package dev.turnout.proxy.exchange;

import dev.turnout.proxy.pool.RetryReason;
import dev.turnout.proxy.upstream.UpstreamException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Every way a request can fail inside the proxy, each classified once: the status the client
 * gets, a short body saying which, and a tag for logs and metrics.
 */
public enum ProxyFailure {
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "malformed request"),
    MISSING_HOST(HttpResponseStatus.BAD_REQUEST, "HTTP/1.1 request without a Host header"),
    DUPLICATE_HOST(HttpResponseStatus.BAD_REQUEST, "more than one Host header"),
    BAD_TARGET(HttpResponseStatus.BAD_REQUEST, "request target must be a path, an absolute http URL, or * for OPTIONS"),
    BAD_HOST(HttpResponseStatus.BAD_REQUEST, "invalid Host header"),
    BAD_TRANSFER_CODING(HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding must be exactly chunked"),
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long"),
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large"),
    PAYLOAD_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body larger than this route accepts"),
    VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.1 and HTTP/1.0 are spoken here"),
    EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED, "only Expect: 100-continue is supported"),
    CLIENT_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "client sent the request too slowly"),
    NO_ROUTE(HttpResponseStatus.SERVICE_UNAVAILABLE, "no route for this host and path"),
    NO_BACKEND(HttpResponseStatus.SERVICE_UNAVAILABLE, "no backend available"),
    BACKEND_AT_CAPACITY(HttpResponseStatus.SERVICE_UNAVAILABLE, "every backend is at its connection limit"),
    CONNECT_REFUSED(HttpResponseStatus.BAD_GATEWAY, "backend refused the connection"),
    RESET_BEFORE_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "backend closed the connection before answering"),
    BAD_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "backend sent an invalid response"),
    TLS_FAILED(HttpResponseStatus.BAD_GATEWAY, "TLS with the backend failed (its certificate did not verify, or no common "
            + "protocol)"),
    STREAM_REFUSED(HttpResponseStatus.BAD_GATEWAY, "backend refused the request unprocessed (HTTP/2 GOAWAY or REFUSED_STREAM)"),
    CONNECT_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "backend did not accept the connection in time"),
    RESPONSE_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "backend did not answer in time"),
    DEADLINE_EXCEEDED(HttpResponseStatus.GATEWAY_TIMEOUT, "the call's grpc-timeout ran out");

    private final HttpResponseStatus status;
    private final String message;
    private final byte[] body;
    private final String tag;

    ProxyFailure(HttpResponseStatus status, String message) {
        this.status = status;
        this.message = message;
        this.body = (status.code() + " " + status.reasonPhrase() + ": " + message + "\n").getBytes(StandardCharsets.US_ASCII);
        this.tag = name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public int statusCode() {
        return status.code();
    }

    public String tag() {
        return tag;
    }

    /** What went wrong, in a few words. */
    public String message() {
        return message;
    }

    /**
     * Why a retry would be sent, when the backend failed before any byte of an answer (so a retry
     * cannot duplicate one); null for every other failure.
     */
    RetryReason retryReason() {
        return switch (this) {
            case CONNECT_REFUSED -> RetryReason.CONNECT_REFUSED;
            case CONNECT_TIMEOUT -> RetryReason.CONNECT_TIMEOUT;
            case RESET_BEFORE_RESPONSE -> RetryReason.CLOSED_BEFORE_ANSWER;
            case TLS_FAILED -> RetryReason.TLS_FAILED;
            case STREAM_REFUSED -> RetryReason.REFUSED_STREAM;
            default -> null;
        };
    }

    /** Why a connection (or an HTTP/2 stream) to a backend could not be had, from the connect's cause. */
    static ProxyFailure connectFailure(Throwable cause) {
        if (cause instanceof ConnectTimeoutException || cause instanceof SslHandshakeTimeoutException) {
            return CONNECT_TIMEOUT;
        }
        if (cause instanceof SSLException) {
            return TLS_FAILED;
        }
        if (cause instanceof UpstreamException e) {
            return switch (e.kind()) {
                case NO_STREAM_ROOM -> BACKEND_AT_CAPACITY;
                case STREAM_REFUSED -> STREAM_REFUSED;
                case CLOSED_BEFORE_READY -> RESET_BEFORE_RESPONSE;
            };
        }
        return CONNECT_REFUSED;
    }

    public FullHttpResponse newResponse(boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
