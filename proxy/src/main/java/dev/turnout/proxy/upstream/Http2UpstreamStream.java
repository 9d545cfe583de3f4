package dev.turnout.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * One exchange's stream on a shared HTTP/2 connection to a backend: the last handler of the stream's
 * child channel, behind Netty's frame-to-{@code HttpObject} codec, and the exchange's
 * {@link UpstreamStream}. Requests go out as {@code HttpRequest}/{@code HttpContent} and answers come
 * back in the shape an HTTP/1.1 connection gives them, so the exchange does not know which it has:
 * an interim answer is a head followed by an empty last content, a final answer without a body (a
 * gRPC trailers-only answer) stays one {@link FullHttpResponse}, and trailers end the body.
 *
 * <p>Closing the child channel before the stream ended resets it (RST_STREAM CANCEL), which is how
 * a cancelled or failed exchange stops the backend's work. A stream the backend refused without
 * processing it (RST_STREAM REFUSED_STREAM, or above a GOAWAY's last stream id) is reported as
 * {@link UpstreamException.Kind#STREAM_REFUSED}, so the request may go elsewhere.
 */
final class Http2UpstreamStream extends ChannelInboundHandlerAdapter implements UpstreamStream {

    private static final HttpConversionUtil.ExtensionHeaderNames[] TRANSLATION_HEADERS =
            HttpConversionUtil.ExtensionHeaderNames.values();

    private final Http2UpstreamConnection connection;
    private Http2StreamChannel channel;
    private UpstreamListener listener;
    private boolean refused;

    Http2UpstreamStream(Http2UpstreamConnection connection) {
        this.connection = connection;
    }

    void bind(UpstreamListener listener) {
        this.listener = listener;
    }

    /** Lets the stream go: reset if it has not ended, and nothing more is reported. */
    void close() {
        listener = null;
        channel.close();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = (Http2StreamChannel) ctx.channel();
    }

    @Override
    public void write(Object msg) {
        channel.write(msg);
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
        // Unread DATA is not acknowledged, so the backend's flow-control window closes behind it.
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
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof HttpResponse head)) {
            l.onUpstreamMessage(msg);
            return;
        }
        for (HttpConversionUtil.ExtensionHeaderNames added : TRANSLATION_HEADERS) {
            head.headers().remove(added.text());
        }
        if (head.status().code() >= 200) {
            l.onUpstreamMessage(head);
            return;
        }
        // An interim answer: a head of its own, then the end of that answer, as HTTP/1.1 frames it.
        HttpResponse interim = head;
        if (head instanceof FullHttpResponse full) {
            interim = new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers());
            full.release();
        }
        interim.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        l.onUpstreamMessage(interim);
        if (listener != null) {
            listener.onUpstreamMessage(LastHttpContent.EMPTY_LAST_CONTENT);
        }
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            refused |= reset.errorCode() == Http2Error.REFUSED_STREAM.code();
        } else if (evt instanceof Http2GoAwayFrame goAway) {
            refused = true; // only streams above the last one the backend processed hear of it
            goAway.release();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        listener = null;
        if (l != null) {
            boolean unprocessed = refused || connection.neverProcessed(channel.stream().id());
            l.onUpstreamClosed(unprocessed ? new UpstreamException(UpstreamException.Kind.STREAM_REFUSED,
                    "backend refused the stream without processing it") : null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamListener l = listener;
        listener = null;
        ctx.close();
        if (l != null) {
            l.onUpstreamClosed(cause);
        }
    }
}
