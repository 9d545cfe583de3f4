package dev.turnout.proxy.upstream;

import java.io.IOException;

/**
 * Why a stream to a backend could not be had or was given up, where the cause is no socket error of
 * its own: the exchange reads {@link #kind()} to classify the failure. Stackless: these are
 * expected events, not bugs.
 */
public final class UpstreamException extends IOException {

    private static final long serialVersionUID = 1L;

    /** What happened. */
    public enum Kind {
        /**
         * The backend refused the HTTP/2 stream without processing it: RST_STREAM REFUSED_STREAM, a
         * GOAWAY whose last stream id is below it, or a connection gone before the stream was sent.
         * The request may go to another backend whatever its method (RFC 9113 8.7).
         */
        STREAM_REFUSED,
        /** Every HTTP/2 connection to the backend is at its stream limit and no other may be opened. */
        NO_STREAM_ROOM,
        /** The connection closed before it was ready (an HTTP/2 backend that never sent its SETTINGS). */
        CLOSED_BEFORE_READY
    }

    private final Kind kind;

    UpstreamException(Kind kind, String message) {
        super(message, null);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
