package dev.turnout.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an upstream connection. While leased it forwards everything to its
 * {@link UpstreamListener}; while pooled it has none, and any input or idle timeout closes it.
 * It is also the connection's {@link UpstreamStream}, so a lease allocates nothing.
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
        // The void promise spares a promise per write; a failed write reaches exceptionCaught.
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
        return channel.isWritable();
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
            // A send failed and, with auto-close off, shut only the sending side: the reading side goes on, for the
            // answer a backend sends before it resets (a 413 to an upload it will not take). Each write queued at the
            // failure reports it; the listener hears it once.
            if (!sendFailed) {
                sendFailed = true;
                LOG.debug("sending to {} failed; reading its answer still", ctx.channel().remoteAddress(), cause);
                UpstreamListener l = listener;
                if (l != null) {
                    l.onUpstreamSendFailed();
                }
            }
            return;
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
        if (evt instanceof IdleStateEvent && listener == null) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
