package dev.turnout.proxy.upstream;

import io.netty.channel.Channel;

/**
 * One backend connection as an exchange sees it: where the request goes and whether the answer
 * may be read. It stays on the event loop it was opened on, which is the client connection's.
 */
public interface UpstreamStream {

    /** Queues part of the request; {@link #flush} sends it. */
    void write(Object msg);

    void flush();

    boolean isActive();

    /** False while the socket's send buffer is full: the client's reads should pause. */
    boolean isWritable();

    /** Stops or restarts reading the answer: back-pressure from a client that reads slowly. */
    void pauseReading(boolean paused);

    boolean readingPaused();

    /** The connection itself, for a WebSocket upgrade that leaves HTTP for a byte tunnel. */
    Channel channel();
}
