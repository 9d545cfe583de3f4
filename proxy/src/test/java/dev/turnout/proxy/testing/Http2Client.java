package dev.turnout.proxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A raw HTTP/2 client (Netty's frame codec) that shows what arrives frame by frame: every HEADERS
 * block with whether it ended the stream (so interim answers and trailers-only answers can be told
 * apart), the body, and a reset. Cleartext with prior knowledge, or TLS with a client context.
 */
public final class Http2Client implements AutoCloseable {

    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("h2-client", true), NioIoHandler.newFactory());

    private final Channel connection;

    private Http2Client(Channel connection) {
        this.connection = connection;
    }

    public static Http2Client connect(InetSocketAddress address, SslContext tls) throws InterruptedException {
        Channel ch = new Bootstrap().group(GROUP).channel(NioSocketChannel.class).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (tls != null) {
                    ch.pipeline().addLast(tls.newHandler(ch.alloc(), address.getHostString(), address.getPort()));
                }
                ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                        new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
            }
        }).connect(address).sync().channel();
        return new Http2Client(ch);
    }

    /** Opens a stream and sends {@code headers}, then {@code body} when not null (ending the stream either way). */
    public Response send(Http2Headers headers, String body) throws Exception {
        Response response = new Response();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection).handler(response).open().sync().getNow();
        stream.write(new DefaultHttp2HeadersFrame(headers, body == null));
        if (body != null) {
            stream.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), true));
        }
        stream.flush();
        response.stream = stream;
        return response;
    }

    @Override
    public void close() throws InterruptedException {
        connection.close().sync();
    }

    /** What came back on one stream. */
    public static final class Response extends ChannelInboundHandlerAdapter {

        private final List<Http2Headers> headerBlocks = new ArrayList<>();
        private final List<Boolean> endedStream = new ArrayList<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final CompletableFuture<Response> done = new CompletableFuture<>();
        private volatile Http2StreamChannel stream;
        private long resetCode = -1;

        @Override
        public synchronized void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame frame) {
                    headerBlocks.add(frame.headers());
                    endedStream.add(frame.isEndStream());
                    if (frame.isEndStream()) {
                        done.complete(this);
                    }
                } else if (msg instanceof Http2DataFrame data) {
                    body.writeBytes(ByteBufUtil.getBytes(data.content()));
                    if (data.isEndStream()) {
                        done.complete(this);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public synchronized void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame reset) {
                resetCode = reset.errorCode();
                done.complete(this);
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.complete(this);
        }

        /** Waits for the stream's end (or reset). */
        public Response await() throws Exception {
            return done.get(10, TimeUnit.SECONDS);
        }

        /** Every HEADERS block received, in order: interim answers, the final head, trailers. */
        public synchronized List<Http2Headers> headerBlocks() {
            return List.copyOf(headerBlocks);
        }

        /** Whether the {@code i}th HEADERS block ended the stream. */
        public synchronized boolean endedStream(int i) {
            return endedStream.get(i);
        }

        public synchronized String bodyText() {
            return body.toString(StandardCharsets.UTF_8);
        }

        /** The RST_STREAM error code received, or -1. */
        public synchronized long resetCode() {
            return resetCode;
        }

        /** Resets the stream from this side (RST_STREAM CANCEL), as a cancelled call does. */
        public void cancel() {
            stream.close();
        }
    }
}
