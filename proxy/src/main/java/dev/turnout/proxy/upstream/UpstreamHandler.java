package dev.turnout.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an upstream connection. While leased it forwards everything to its
 * {@link UpstreamListener}; while pooled it has none, and any input, failure or idle timeout closes it.
 * It is also the connection's {@link UpstreamStream}, so a lease allocates nothing.
 *
 * <p>The connection runs with auto-close off, so a failed send shuts only its sending side: the
 * answer a backend sent before resetting (a 413 to an upload it will not take) can still be read.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter implements UpstreamStream {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamHandler.class);

    private final Http1ResponseDecoder decoder;
    private UpstreamListener listener;
    private boolean sendFailed;

    UpstreamHandler(Http1ResponseDecoder decoder) {
        this.decoder = decoder;
    }

    void bind(UpstreamListener listener) {
        this.listener = listener;
    }

    void unbind() {
        this.listener = null;
    }

    /** Bytes arrived after the last answer, or a send failed: the connection is out of step and must not be pooled. */
    boolean outOfStep() {
        return sendFailed || decoder.hasLeftovers();
    }

    private Channel channel;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void write(Object msg) {
        if (sendFailed) {
            ReferenceCountUtil.release(msg); // the socket's sending side is shut: the rest of the request goes nowhere
            return;
        }
        // The void promise spares a promise per write; a failed send is heard as ChannelOutputShutdownEvent.
        channel.write(msg, channel.voidPromise());
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public boolean isActive() {
        return channel.isActive();
    }

    @Override
    public boolean isWritable() {
        // After a failed send, writes are dropped at once: nothing is left to hold the client back for.
        return sendFailed || channel.isWritable();
    }

    @Override
    public void pauseReading(boolean paused) {
        channel.config().setAutoRead(!paused);
    }

    @Override
    public boolean readingPaused() {
        return !channel.config().isAutoRead();
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener l = listener;
        if (l == null) {
            // A pooled connection has nothing to say; whatever arrives makes it unusable.
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        l.onUpstreamMessage(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) {
            l.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) {
            l.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        listener = null;
        if (l != null) {
            l.onUpstreamClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof ChannelOutputShutdownException) {
            return; // a write queued when a send failed: the ChannelOutputShutdownEvent that follows tells of it once
        }
        UpstreamListener l = listener;
        listener = null;
        ctx.close();
        if (l != null) {
            l.onUpstreamClosed(cause);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelOutputShutdownEvent) {
            // A send failed (Netty fires this after failing the queued writes, through TLS too): reading goes on.
            sendFailed = true;
            LOG.debug("sending to {} failed; reading its answer still", ctx.channel().remoteAddress());
            UpstreamListener l = listener;
            if (l == null) {
                ctx.close(); // pooled: there is no answer to wait for
            } else {
                l.onUpstreamSendFailed();
            }
            return;
        }
        if (evt instanceof IdleStateEvent && listener == null) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
