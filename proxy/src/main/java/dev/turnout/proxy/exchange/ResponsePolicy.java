package dev.turnout.proxy.exchange;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * What an answer to the client says about its connection, and what an answer says about the
 * backend, each decided here once: whether the client connection stays open, the
 * {@code Connection} header that tells it so, the hop-by-hop headers and framing of a relayed
 * head, and which statuses count as the backend failing.
 */
final class ResponsePolicy {

    private ResponsePolicy() {
    }

    /**
     * Whether the client connection may stay open after this answer: the client asked for it, the
     * connection is not closing, and no unread request body is left in front of the next request.
     */
    static boolean keepAlive(boolean requestKeepAlive, boolean connectionMayStay, boolean requestComplete,
            boolean requestHasBody) {
        return requestKeepAlive && connectionMayStay && (requestComplete || !requestHasBody);
    }

    /** Says {@code close}, or to an HTTP/1.0 client that keeps its connection, {@code keep-alive}. */
    static void markConnection(HttpHeaders headers, boolean keepAlive, boolean http10Client) {
        if (!keepAlive) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /**
     * Turns a backend's answer head into the client's, in place: hop-by-hop headers dropped, a
     * framing the client can read, HTTP/1.1, and its {@code Connection}.
     *
     * @param keepAlive what {@link #keepAlive} allows
     * @return whether the client connection stays open: not when an HTTP/1.0 client must read to
     *         the close because the body has no length
     */
    static boolean shapeRelayedHead(HttpResponse head, HttpMethod method, boolean keepAlive, boolean http10Client) {
        ForwardedHeaders.removeHopByHop(head.headers());
        int status = head.status().code();
        boolean bodyless = method.equals(HttpMethod.HEAD) || status == 204 || status == 304;
        if (!bodyless && !HttpUtil.isContentLengthSet(head)) {
            if (http10Client) {
                // No chunked encoding in HTTP/1.0: the body ends when the connection does.
                head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                keepAlive = false;
            } else if (!HttpUtil.isTransferEncodingChunked(head)) {
                HttpUtil.setTransferEncodingChunked(head, true);
            }
        }
        head.setProtocolVersion(HttpVersion.HTTP_1_1);
        markConnection(head.headers(), keepAlive, http10Client);
        return keepAlive;
    }

    /** An answer that counts against the backend's health (and may be stood in for by a stale copy). */
    static boolean isBackendFailure(int status) {
        return status >= 500;
    }

    /** No Transfer-Encoding, or exactly one that is {@code chunked}, in a request or an answer: the only coding spoken here. */
    static boolean onlyChunked(HttpHeaders headers) {
        String coding = headers.get(HttpHeaderNames.TRANSFER_ENCODING);
        return coding == null || (HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(coding.trim())
                && headers.getAll(HttpHeaderNames.TRANSFER_ENCODING).size() == 1);
    }
}
