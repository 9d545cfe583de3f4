package dev.turnout.proxy.listener;

import io.netty.channel.ChannelHandler;

/**
 * The read deadlines of one client request, kept by a handler in front of {@link ProxyFrontendHandler}:
 * {@link Http1RequestDecoder} on an HTTP/1.1 connection (an HTTP/2 stream keeps its own, {@link Http2ClientStream}).
 * The frontend says where the decoded request is; when a deadline passes the guard fires
 * {@link #EXPIRED} down the pipeline, and the frontend answers 408, or calls {@link #extend()} when it
 * had paused reading itself.
 */
interface ClientReadTimeout extends ChannelHandler {

    /** The user event fired when a client was too slow. */
    Object EXPIRED = new Object() {
        @Override
        public String toString() {
            return "ClientReadTimeout.EXPIRED";
        }
    };

    /** A request head was decoded; its body, if it has one, is due next. */
    void headReceived(boolean bodyFollows);

    /** The request's body ended. */
    void bodyReceived();

    /** Answers 408 to a head that never completed, and closes. */
    void rejectSlowHead();

    /** Answers a head refused by the syntax check, and closes. */
    void rejectMalformedHead(int status);

    /** Whether part of a request (its head, or a body still due) has arrived and not all of it. */
    boolean midRequest();

    /** Nothing more is read (the connection or stream is closing). */
    void stop();

    /** Starts the current limit again from now. */
    void extend();
}
