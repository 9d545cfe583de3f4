package dev.turnout.proxy.exchange;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import java.util.ArrayDeque;

/**
 * The body an attempt sent on an HTTP/2 stream, kept so that a stream the backend refuses without
 * processing it (REFUSED_STREAM, or above a GOAWAY's last stream id) can be sent again, to another
 * backend or on a new connection, whatever the method: HTTP/2 says such a request was not acted on
 * (RFC 9113 8.7). Kept are retained duplicates of the parts, never copies, and only while they
 * add up to at most {@link #MAX_BYTES} (a gRPC unary call, a form): a larger body is not kept, and
 * a refused stream then fails its request with 502.
 *
 * <p>Nothing is kept for an HTTP/1.1 connection, which says nothing of what the backend did.
 */
final class RequestReplay {

    static final int MAX_BYTES = 64 * 1024;

    // Made when first needed (an HTTP/2 backend): most exchanges never keep a body.
    private ArrayDeque<HttpContent> sent;
    private long bytes;
    private boolean keeping;

    /** A new stream takes the request: keep what goes out on it when it is an HTTP/2 stream. */
    void start(boolean http2) {
        release();
        keeping = http2;
    }

    /** {@code part} is about to be written (which hands it over): a duplicate is kept while within the limit. */
    void sending(HttpObject part) {
        if (!keeping || !(part instanceof HttpContent content)) {
            return;
        }
        bytes += content.content().readableBytes();
        if (bytes > MAX_BYTES) {
            release();
            return;
        }
        if (sent == null) {
            sent = new ArrayDeque<>(2);
        }
        sent.add(content.retainedDuplicate());
    }

    /**
     * Puts {@code head} and the body kept so far at the front of {@code queue}, to be written again;
     * false, with nothing queued, when the body was not kept.
     */
    boolean requeue(ArrayDeque<HttpObject> queue, HttpRequest head) {
        if (!keeping) {
            return false;
        }
        HttpContent part;
        while (sent != null && (part = sent.pollLast()) != null) {
            queue.addFirst(part);
        }
        queue.addFirst(head);
        bytes = 0;
        keeping = false;
        return true;
    }

    /** Nothing will be sent again (the answer began, or the exchange ended): the kept parts go. */
    void release() {
        HttpContent part;
        while (sent != null && (part = sent.poll()) != null) {
            part.release();
        }
        bytes = 0;
        keeping = false;
    }
}
