package dev.turnout.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Against slow clients (slowloris): once a request's first byte arrives its head must be complete
 * within {@code header-read}, and while its body is due the client may pause at most
 * {@code body-read}. It sits in front of the HTTP decoder, so it sees the raw bytes arrive;
 * {@link ProxyFrontendHandler} tells it where the decoded stream is. When a limit passes it fires
 * {@link #EXPIRED} down the pipeline; the frontend answers 408 and closes, or, when it had paused
 * reading itself (a backend slow to take the body, a pipelined request waiting its turn), calls
 * {@link #extend()}: the client cannot be blamed for bytes nobody read.
 *
 * <p>One timer at most per connection, which a tick re-arms for the remainder rather than one
 * timer per read. An idle keep-alive connection waiting for its next request is the idle
 * timeout's business, not this one's.
 */
final class ClientReadTimeout extends ChannelInboundHandlerAdapter {

    /** The user event fired when a client was too slow. */
    static final Object EXPIRED = new Object() {
        @Override
        public String toString() {
            return "ClientReadTimeout.EXPIRED";
        }
    };

    private enum Phase { WAITING, HEAD, BODY, DONE }

    private static final String TOO_SLOW = "408 Request Timeout: client sent the request too slowly\n";
    private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\n"
            + "Content-Length: " + TOO_SLOW.length() + "\r\nConnection: close\r\n\r\n" + TOO_SLOW)
            .getBytes(StandardCharsets.US_ASCII);

    private final long headerNanos;
    private final long bodyNanos;
    private final Runnable tick = this::onTick;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.WAITING;
    private long headDeadline;
    private long lastBodyRead;
    private ScheduledFuture<?> timer;

    ClientReadTimeout(long headerNanos, long bodyNanos) {
        this.headerNanos = headerNanos;
        this.bodyNanos = bodyNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
            if (phase == Phase.WAITING) {
                phase = Phase.HEAD;
                headDeadline = System.nanoTime() + headerNanos;
                arm(headerNanos);
            } else if (phase == Phase.BODY) {
                lastBodyRead = System.nanoTime();
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** A request head was decoded; its body, if it has one, is due next. */
    void headReceived(boolean bodyFollows) {
        if (bodyFollows) {
            phase = Phase.BODY;
            lastBodyRead = System.nanoTime();
            if (timer != null) {
                timer.cancel(false); // it was set for the head's deadline, which may come later
                timer = null;
            }
            arm(bodyNanos);
        } else {
            phase = Phase.WAITING;
        }
    }

    /** The request's body ended: the next bytes start the next request. */
    void bodyReceived() {
        phase = Phase.WAITING;
    }

    /**
     * Answers 408 to a head that never completed, and closes. Written here, under the HTTP codec
     * and the compressor, because no request was decoded for them to answer.
     */
    void rejectSlowHead() {
        phase = Phase.DONE;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Nothing more is read from this connection (it is closing). */
    void stop() {
        phase = Phase.DONE;
    }

    private void arm(long delayNanos) {
        if (timer == null) {
            timer = ctx.executor().schedule(tick, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void onTick() {
        timer = null;
        long now = System.nanoTime();
        long remaining = switch (phase) {
            case HEAD -> headDeadline - now;
            case BODY -> lastBodyRead + bodyNanos - now;
            default -> Long.MAX_VALUE;
        };
        if (remaining == Long.MAX_VALUE || !ctx.channel().isActive()) {
            return;
        }
        if (remaining > 0) {
            arm(remaining);
            return;
        }
        ctx.fireUserEventTriggered(EXPIRED);
    }

    /** Starts the current limit again from now. */
    void extend() {
        long now = System.nanoTime();
        if (phase == Phase.HEAD) {
            headDeadline = now + headerNanos;
            arm(headerNanos);
        } else if (phase == Phase.BODY) {
            lastBodyRead = now;
            arm(bodyNanos);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.DONE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }
}
