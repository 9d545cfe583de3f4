package dev.turnout.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * A minimal, fast application server for load comparisons: every request gets 200 with the same
 * 1 KiB body, keep-alive unless the client asks to close. Request bodies are read and dropped.
 * Paths under {@code /cached} are answered with {@code Cache-Control: max-age=3600}.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.turnout.bench.FixedResponseServer [port [threads [name [h2c]]]]</pre>
 *
 * <p>Port 0 (the default) takes a free port; the bound address is printed as
 * {@code listening on 127.0.0.1:PORT}. It listens on loopback only and runs until killed. A name,
 * when given, is sent back as {@code X-Pool: name} on every answer, so that a load test behind a
 * split can count which pool answered ({@code -} for none). With {@code h2c} it speaks HTTP/2 with
 * prior knowledge instead of HTTP/1.1, each stream answered the same way, for an h2c pool.
 */
@SuppressWarnings("checkstyle:regexp") // a command-line tool: printing where it listens is the point
public final class FixedResponseServer {

    private static final int BODY_SIZE = 1024;
    private static final AsciiString X_POOL = AsciiString.cached("x-pool");

    private FixedResponseServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String name = args.length > 2 && !args[2].equals("-") ? args[2] : null;
        boolean h2c = args.length > 3 && args[3].equals("h2c");
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;

        byte[] body = new byte[BODY_SIZE];
        Arrays.fill(body, (byte) 'x');
        body[BODY_SIZE - 1] = '\n';
        ByteBuf content = Unpooled.unreleasableBuffer(Unpooled.directBuffer(BODY_SIZE).writeBytes(body));
        ChannelHandler responder = new Responder(content, name);

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, io);
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (!h2c) {
                            ch.pipeline().addLast(new HttpServerCodec(), responder);
                            return;
                        }
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                                new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                                    @Override
                                    protected void initChannel(Channel stream) {
                                        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), responder);
                                    }
                                }));
                    }
                })
                .bind("127.0.0.1", port).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) server.localAddress();
        System.out.println("listening on 127.0.0.1:" + bound.getPort() + " (" + (epoll ? "epoll" : "nio") + ", "
                + threads + " threads, " + BODY_SIZE + "-byte body" + (name == null ? "" : ", X-Pool: " + name)
                + (h2c ? ", h2c" : "") + ")");
        System.out.flush();
        try {
            server.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }

    /** Answers each request once its end has arrived; keeps no per-connection fields, so one instance serves all. */
    @ChannelHandler.Sharable
    private static final class Responder extends ChannelInboundHandlerAdapter {

        private static final AttributeKey<Boolean> KEEP_ALIVE = AttributeKey.valueOf("fixed-response.keep-alive");
        // Requests under /cached get an answer the proxy may cache, for the cache-hit measurement.
        private static final AttributeKey<Boolean> CACHEABLE = AttributeKey.valueOf("cacheable");

        private final ByteBuf content;
        private final String name;

        /** @param name the X-Pool value, or null for no such header */
        Responder(ByteBuf content, String name) {
            this.content = content;
            this.name = name;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    ctx.channel().attr(KEEP_ALIVE).set(HttpUtil.isKeepAlive(request));
                    ctx.channel().attr(CACHEABLE).set(request.uri().startsWith("/cached"));
                }
                // Body content, if any, is dropped; the answer goes out when the request has ended.
                if (msg instanceof LastHttpContent) {
                    respond(ctx, !Boolean.FALSE.equals(ctx.channel().attr(KEEP_ALIVE).get()));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void respond(ChannelHandlerContext ctx, boolean keepAlive) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    content.duplicate());
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, BODY_SIZE);
            if (name != null) {
                response.headers().set(X_POOL, name);
            }
            if (Boolean.TRUE.equals(ctx.channel().attr(CACHEABLE).get())) {
                response.headers().set(HttpHeaderNames.CACHE_CONTROL, "max-age=3600");
            }
            if (keepAlive) {
                ctx.write(response);
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
