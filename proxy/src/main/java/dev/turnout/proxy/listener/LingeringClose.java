package dev.turnout.proxy.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection after its last answer without destroying that answer.
 *
 * <p>Closing a socket that still holds unread bytes from the client (the rest of an oversized
 * head, a body nobody will read) makes the kernel send a reset, and a reset can discard the
 * answer before the client has read it (RFC 9112 9.6). So, as nginx's {@code lingering_close}:
 * once the answer is written, the sending side is shut (FIN, after TLS's close_notify), and
 * whatever the client still sends is read and dropped until it closes its side, stays quiet for
 * {@link #QUIET_MILLIS}, or {@link #MAX_MILLIS} have passed in all.
 *
 * <p>HTTP/2 streams and other channels that cannot half-close are simply closed.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {

    /**
     * The longest pause in what the client still sends (nginx's lingering_timeout is 5 s): a
     * client that has read the answer and the FIN closes within a round trip.
     */
    static final long QUIET_MILLIS = 1_000;
    /**
     * The longest the whole linger may take (nginx's lingering_time is 30 s): shorter, so that a
     * client refused for trickling its head (408) cannot keep the socket long by trickling on.
     */
    static final long MAX_MILLIS = 5_000;

    private final long startedNanos = System.nanoTime();
    private long lastReadNanos = startedNanos;
    private ScheduledFuture<?> timer;

    private LingeringClose() {
    }

    /** Lingers once {@code lastWrite}, the connection's last answer, has been written. */
    static void afterWrite(ChannelFuture lastWrite) {
        lastWrite.addListener(written -> start(lastWrite.channel()));
    }

    /** Half-closes {@code ch} now and lingers; a channel that cannot half-close is closed. */
    static void start(Channel ch) {
        if (!(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
            ch.close();
            return;
        }
        if (ch.pipeline().get(LingeringClose.class) != null) {
            return;
        }
        // First in the pipeline: what the client sends now never reaches TLS or the HTTP codec.
        ch.pipeline().addFirst("linger", new LingeringClose());
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            duplex.shutdownOutput();
        } else {
            tls.closeOutbound().addListener(notified -> duplex.shutdownOutput());
        }
        ch.config().setAutoRead(true);
        ch.read();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        schedule(ctx, QUIET_MILLIS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        lastReadNanos = System.nanoTime();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Nothing was passed on, so nothing further down has anything to finish.
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset from the client ends the linger; nothing to report
    }

    private void schedule(ChannelHandlerContext ctx, long delayMillis) {
        timer = ctx.executor().schedule(() -> onTick(ctx), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void onTick(ChannelHandlerContext ctx) {
        long now = System.nanoTime();
        long quietLeft = QUIET_MILLIS - TimeUnit.NANOSECONDS.toMillis(now - lastReadNanos);
        long totalLeft = MAX_MILLIS - TimeUnit.NANOSECONDS.toMillis(now - startedNanos);
        long left = Math.min(quietLeft, totalLeft);
        if (left <= 0) {
            ctx.close();
        } else {
            schedule(ctx, left);
        }
    }
}
