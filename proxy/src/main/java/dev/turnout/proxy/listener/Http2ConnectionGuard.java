package dev.turnout.proxy.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * The end of an HTTP/2 connection's pipeline, behind the stream multiplexer: it sees the frames
 * that belong to no stream, and the connection's events.
 * <ul>
 * <li>A client that sends more than {@value #MAX_CONTROL_FRAMES} PING or SETTINGS frames within
 *     {@value #WINDOW_SECONDS} s (the codec answers each, so a flood costs CPU even when the
 *     client reads the answers) gets GOAWAY with {@code ENHANCE_YOUR_CALM} and is closed.</li>
 * <li>At shutdown a connection is closed through the codec: GOAWAY, and the streams open go on to
 *     their end (the shutdown's grace bounds them). An idle one gets GOAWAY and is closed.</li>
 * </ul>
 */
final class Http2ConnectionGuard extends ChannelInboundHandlerAdapter {

    static final int MAX_CONTROL_FRAMES = 1000;
    static final int WINDOW_SECONDS = 10;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);

    private final Http2Abuse abuse;
    private long windowStart = System.nanoTime();
    private int pings;
    private int settings;
    private boolean closed;

    Http2ConnectionGuard(Http2Abuse abuse) {
        this.abuse = abuse;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2PingFrame ping) {
            if (!ping.ack()) {
                count(ctx, Http2Abuse.Kind.PING_FLOOD);
            }
            return;
        }
        if (msg instanceof Http2SettingsFrame) {
            count(ctx, Http2Abuse.Kind.SETTINGS_FLOOD);
            return;
        }
        ReferenceCountUtil.release(msg); // GOAWAY, unknown frames: nothing here reads them
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ShutdownRequested.INSTANCE) {
            ctx.channel().close(); // through the codec: GOAWAY, then the open streams finish
            return;
        }
        if (evt instanceof IdleStateEvent) {
            // Nothing moved for the idle timeout: GOAWAY, then closed under the codec, which would wait for streams.
            ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR))
                    .addListener(written -> ctx.pipeline().firstContext().close());
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void count(ChannelHandlerContext ctx, Http2Abuse.Kind kind) {
        long now = System.nanoTime();
        if (now - windowStart > WINDOW_NANOS) {
            windowStart = now;
            pings = 0;
            settings = 0;
        }
        int seen = kind == Http2Abuse.Kind.PING_FLOOD ? ++pings : ++settings;
        if (seen > MAX_CONTROL_FRAMES && !closed) {
            closed = true;
            abuse.count(kind);
            ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.ENHANCE_YOUR_CALM))
                    .addListener(written -> ctx.channel().close());
        }
    }
}
