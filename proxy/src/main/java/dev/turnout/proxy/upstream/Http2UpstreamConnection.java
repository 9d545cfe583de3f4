package dev.turnout.proxy.upstream;

import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.config.ResilienceConfig;
import dev.turnout.proxy.pool.Backend;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 connection to a backend, shared by the exchanges of its event loop: the last handler
 * of the connection's pipeline, after Netty's frame codec and stream multiplexer. It is ready once
 * the connection (and its TLS) is up and the backend's first SETTINGS arrived, which say how many
 * streams it takes at once; exchanges that asked for a stream before then wait here.
 *
 * <p>It stops taking new streams when the backend sends GOAWAY (or the backend is drained), and
 * closes once its last stream ended. An idle timeout closes it when it carries no stream.
 */
final class Http2UpstreamConnection extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(Http2UpstreamConnection.class);
    /** Streams assumed before a backend's SETTINGS say (RFC 9113 6.5.2 recommends no fewer than 100). */
    static final int ASSUMED_MAX_STREAMS = 100;
    /** Netty's translation between stream frames and HttpObjects; sharable, so one serves every stream. */
    private static final Http2StreamFrameToHttpObjectCodec TO_HTTP_OBJECTS = new Http2StreamFrameToHttpObjectCodec(false);

    private final Http2Upstreams owner;
    private final PoolTransport transport;
    private final Backend backend;
    private final ResilienceConfig resilience;
    private final ArrayDeque<Promise<UpstreamStream>> waiting = new ArrayDeque<>();
    private Channel channel;
    private Http2Connection state;
    private Http2StreamChannelBootstrap streamBootstrap;
    private boolean connected;
    private boolean settingsSeen;
    private boolean draining;
    private boolean closed;
    private long maxStreams = ASSUMED_MAX_STREAMS;
    private int streams;

    Http2UpstreamConnection(Http2Upstreams owner, PoolTransport transport, Backend backend, ResilienceConfig resilience) {
        this.owner = owner;
        this.transport = transport;
        this.backend = backend;
        this.resilience = resilience;
    }

    Backend backend() {
        return backend;
    }

    ResilienceConfig resilience() {
        return resilience;
    }

    PoolTransport transport() {
        return transport;
    }

    EventLoop loop() {
        return channel.eventLoop();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        state = ctx.pipeline().get(Http2FrameCodec.class).connection();
        streamBootstrap = new Http2StreamChannelBootstrap(channel).handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel stream) {
                stream.pipeline().addLast(TO_HTTP_OBJECTS).addLast(new Http2UpstreamStream(Http2UpstreamConnection.this));
            }
        });
    }

    /** Whether it is being opened: not ready yet, and not failed. */
    boolean opening() {
        return !closed && !ready();
    }

    /** Whether it is being opened and may still promise a stream to one more waiter. */
    boolean pendingWithRoom() {
        return opening() && waiting.size() < ASSUMED_MAX_STREAMS;
    }

    /** Whether a stream may be opened on it now. */
    boolean hasRoom() {
        return ready() && !draining && channel.isActive() && streams < maxStreams;
    }

    private boolean ready() {
        return connected && settingsSeen;
    }

    /** Waits for a stream until the connection is ready (or fails). */
    void await(Promise<UpstreamStream> promise) {
        waiting.add(promise);
    }

    /** The TCP connection and its TLS are up; with the backend's SETTINGS, streams may open. */
    void connected() {
        connected = true;
        serveWaiting();
    }

    /** Opening failed: every waiter fails with {@code cause}. */
    void failed(Throwable cause) {
        closed = true;
        Promise<UpstreamStream> p;
        while ((p = waiting.poll()) != null) {
            p.tryFailure(cause);
        }
    }

    /** A new stream, or null if none could be opened (check {@link #hasRoom} first). */
    Http2UpstreamStream openStream() {
        Future<Http2StreamChannel> opened = streamBootstrap.open();
        // On the connection's own event loop the child registers at once.
        if (!opened.isSuccess()) {
            LOG.debug("no stream could be opened to {}", backend, opened.cause());
            return null;
        }
        Http2StreamChannel stream = opened.getNow();
        streams++;
        stream.closeFuture().addListener(f -> streamEnded());
        return stream.pipeline().get(Http2UpstreamStream.class);
    }

    private void streamEnded() {
        streams--;
        if (streams == 0 && (draining || !backend.keepsConnections())) {
            channel.close();
        }
    }

    /** No new streams from now on; closed at once if it carries none. */
    void drain() {
        draining = true;
        if (streams == 0) {
            channel.close();
        }
    }

    /**
     * Whether the stream with this id was never processed by the backend: it was never sent (no id),
     * or the backend's GOAWAY named a lower last stream.
     */
    boolean neverProcessed(int streamId) {
        return streamId < 0 || (state.goAwayReceived() && streamId > state.local().lastStreamKnownByPeer());
    }

    private void serveWaiting() {
        if (!ready()) {
            return;
        }
        Promise<UpstreamStream> p;
        while ((p = waiting.peek()) != null && hasRoom()) {
            waiting.poll();
            Http2UpstreamStream stream = openStream();
            if (stream == null) {
                p.tryFailure(new UpstreamException(UpstreamException.Kind.CLOSED_BEFORE_READY,
                        "no stream could be opened on the new connection"));
            } else if (!p.trySuccess(stream)) {
                stream.close();
            }
        }
        // The backend takes fewer streams than were promised: the rest go to another connection.
        while ((p = waiting.poll()) != null) {
            owner.redirect(this, p);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2SettingsFrame settings) {
            Long max = settings.settings().maxConcurrentStreams();
            maxStreams = max == null ? Long.MAX_VALUE : max;
            settingsSeen = true;
            serveWaiting();
        } else if (msg instanceof Http2GoAwayFrame goAway) {
            LOG.debug("{} sent GOAWAY (last stream {}, error {}): no new streams on this connection", backend,
                    goAway.lastStreamId(), goAway.errorCode());
            drain();
        }
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (streams == 0) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        failed(new UpstreamException(UpstreamException.Kind.CLOSED_BEFORE_READY, "the backend closed the HTTP/2 connection "
                + "before it was ready"));
        owner.closed(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("HTTP/2 connection to {} failed", backend, cause);
        ctx.close();
    }
}
