package dev.turnout.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A raw HTTP/2 server (Netty's frame codec, h2c with prior knowledge, or h2 over TLS) on a loopback
 * ephemeral port, for what a gRPC server does not do on cue: interim answers, RST_STREAM
 * REFUSED_STREAM, a GOAWAY that leaves a stream unprocessed, a small stream limit. Each request is
 * recorded and handed, once it ended, to the test's handler as a {@link Stream} to answer.
 */
public final class Http2Backend implements AutoCloseable {

    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("h2-backend", true), NioIoHandler.newFactory());

    private final ChannelGroup connections = new DefaultChannelGroup("h2-backend", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Stream> streams = new CopyOnWriteArrayList<>();
    private final Channel server;

    private Http2Backend(SslContext tls, Long maxStreams, Consumer<Stream> handler) throws InterruptedException {
        Http2Settings settings = Http2Settings.defaultSettings();
        if (maxStreams != null) {
            settings.maxConcurrentStreams(maxStreams);
        }
        this.server = new ServerBootstrap().group(GROUP).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        int connection = accepted.incrementAndGet();
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().initialSettings(settings).build(),
                                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel child) {
                                        child.pipeline().addLast(new StreamHandler(connection, handler));
                                    }
                                }));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    /** h2c with prior knowledge; {@code maxStreams} (or null) is its SETTINGS_MAX_CONCURRENT_STREAMS. */
    public static Http2Backend plaintext(Long maxStreams, Consumer<Stream> handler) throws InterruptedException {
        return new Http2Backend(null, maxStreams, handler);
    }

    /** h2 over TLS with this server context (which must offer h2 by ALPN). */
    public static Http2Backend tls(SslContext context, Consumer<Stream> handler) throws InterruptedException {
        return new Http2Backend(context, null, handler);
    }

    public String address() {
        return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    public int connectionCount() {
        return accepted.get();
    }

    /** Every request that ended so far, in order. */
    public List<Stream> streams() {
        return List.copyOf(streams);
    }

    @Override
    public void close() throws InterruptedException {
        server.close().sync();
        connections.close().sync();
    }

    /** One request, whole, and the means to answer it. */
    public static final class Stream {

        private final int connection;
        private final Http2StreamChannel channel;
        private final Http2Headers headers;
        private final byte[] body;
        private volatile boolean reset;

        Stream(int connection, Http2StreamChannel channel, Http2Headers headers, byte[] body) {
            this.connection = connection;
            this.channel = channel;
            this.headers = headers;
            this.body = body;
        }

        /** Which accepted connection (1, 2, ...) it came on. */
        public int connection() {
            return connection;
        }

        public int streamId() {
            return channel.stream().id();
        }

        public Http2Headers headers() {
            return headers;
        }

        public String path() {
            return String.valueOf(headers.path());
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** Whether the proxy reset this stream (RST_STREAM) after the request ended. */
        public boolean wasReset() {
            return reset;
        }

        /** An interim answer: a HEADERS frame that does not end the stream. */
        public Stream interim(int status, String name, String value) {
            Http2Headers interim = new DefaultHttp2Headers().status(Integer.toString(status)).add(name, value);
            channel.writeAndFlush(new DefaultHttp2HeadersFrame(interim, false));
            return this;
        }

        /** A final answer with this body, then trailers when {@code trailers} is not null. */
        public void respond(int status, String body, Http2Headers trailers) {
            channel.eventLoop().execute(() -> {
                Http2Headers head = new DefaultHttp2Headers().status(Integer.toString(status)).add("content-type", "text/plain");
                channel.write(new DefaultHttp2HeadersFrame(head, false));
                channel.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8),
                        trailers == null));
                if (trailers != null) {
                    channel.write(new DefaultHttp2HeadersFrame(trailers, true));
                }
                channel.flush();
            });
        }

        /** RST_STREAM with this error (REFUSED_STREAM: "not processed, try again"). */
        public void reset(Http2Error error) {
            channel.writeAndFlush(new DefaultHttp2ResetFrame(error));
        }

        /**
         * A GOAWAY naming {@code lastStreamId} as the last stream processed, written as raw bytes so it
         * may name a stream below ones already open (Netty's own would not).
         */
        public void goAway(int lastStreamId) {
            Channel parent = channel.parent();
            parent.eventLoop().execute(() -> {
                Http2FrameCodec codec = parent.pipeline().get(Http2FrameCodec.class);
                ChannelHandlerContext ctx = parent.pipeline().context(codec);
                codec.encoder().frameWriter().writeGoAway(ctx, lastStreamId, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                        ctx.newPromise());
                ctx.flush();
            });
        }
    }

    private final class StreamHandler extends ChannelInboundHandlerAdapter {

        private final int connection;
        private final Consumer<Stream> handler;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private Http2Headers headers;
        private Stream stream;

        StreamHandler(int connection, Consumer<Stream> handler) {
            this.connection = connection;
            this.handler = handler;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean ended = false;
            try {
                if (msg instanceof Http2HeadersFrame frame) {
                    if (headers == null) {
                        headers = frame.headers();
                    }
                    ended = frame.isEndStream();
                } else if (msg instanceof Http2DataFrame data) {
                    body.writeBytes(ByteBufUtil.getBytes(data.content()));
                    ended = data.isEndStream();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
            if (ended) {
                stream = new Stream(connection, (Http2StreamChannel) ctx.channel(), headers, body.toByteArray());
                streams.add(stream);
                Await.signal();
                handler.accept(stream);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame && stream != null) {
                stream.reset = true;
                Await.signal();
            }
            ReferenceCountUtil.release(evt);
        }
    }
}
