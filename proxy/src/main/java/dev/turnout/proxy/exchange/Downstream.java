package dev.turnout.proxy.exchange;

import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.upstream.UpstreamStream;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;

/**
 * The client side of an exchange, as the connection that carries it (an HTTP/1.1 connection, or
 * an HTTP/2 stream on a child channel) offers it. Every call comes on that connection's event
 * loop; writes are flushed by {@link #flush}, at the end of a read burst.
 */
public interface Downstream {

    /** Why the client's reads pause: a backend connection is being opened. */
    int CONNECTING = 1;
    /** Why the client's reads pause: the backend connection's send buffer is full. */
    int UPSTREAM_FULL = 2;

    /** The answer's head, relayed from the backend (the body follows). */
    void head(HttpResponse head);

    void body(HttpContent content);

    /** A whole answer made here (a failure, a cache hit), written and flushed at once. */
    void answer(FullHttpResponse response);

    /** An interim (1xx) answer relayed ahead of the final one, written and flushed at once. */
    void interim(FullHttpResponse interim);

    void flush();

    /**
     * The exchange ended and its answer is written: the connection serves its next request, or
     * with {@code keepAlive} false, closes once the answer is out.
     */
    void end(boolean keepAlive);

    /** Gives up on an answer that already started: the connection closes now. */
    void reset();

    void pause(int reason);

    void resume(int reasons);

    /** False while the client's send buffer is full: the backend's reads should pause. */
    boolean isWritable();

    /** The request cannot be read on: nothing more is read and the connection closes after the answer. */
    void readNoMore();

    /** The connection is closing: no retry, no timer, no next request. */
    boolean closing();

    /** Neither closing nor asked to close after this exchange (shutdown, a misbehaving client). */
    boolean mayKeepAlive();

    /** The connection's client address (a PROXY protocol header's, or the peer's). */
    String clientIp();

    /**
     * The client address of a request on this connection: {@link #clientIp()}, or when that is a trusted proxy,
     * the client its X-Forwarded-For names.
     */
    default String clientIp(HttpHeaders headers) {
        return clientIp();
    }

    /** Whether {@link #clientIp()} is a trusted proxy, whose X-Forwarded-For is passed on with it appended. */
    default boolean peerTrusted() {
        return false;
    }

    /** The exchange ended; {@code endNanos} closes its duration, for the access log. */
    void ended(Exchange exchange, long endNanos);

    /**
     * The backend switched to WebSocket: {@code answer} goes to the client and both connections
     * leave HTTP for a byte tunnel, which counts in flight on {@code backend} until it closes.
     */
    void upgrade(Exchange exchange, FullHttpResponse answer, UpstreamStream backendSide, Backend backend);
}
