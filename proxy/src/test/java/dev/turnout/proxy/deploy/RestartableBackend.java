package dev.turnout.proxy.deploy;

import dev.turnout.proxy.testing.Await;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application server that can really be stopped (listener and every connection closed) and
 * started again on the same port, as a deploy does. Answers its id; {@code /slow} waits for
 * {@link #releaseSlow()}.
 */
final class RestartableBackend implements AutoCloseable {

    private final String id;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger served = new AtomicInteger();
    private final AtomicInteger starts = new AtomicInteger();
    private final AtomicReference<CompletableFuture<Void>> slowGate = new AtomicReference<>(new CompletableFuture<>());
    private final AtomicInteger slowArrived = new AtomicInteger();
    private volatile int port;
    private Channel listener;

    RestartableBackend(String id) {
        this.id = id;
        // A port below the kernel's ephemeral range (32768 and up by default): once stopped, a
        // port from that range can be handed to an outgoing connection, and the restart could
        // not bind it again. Real deploys use fixed ports for the same reason.
        for (int attempt = 0; !bind(ThreadLocalRandom.current().nextInt(20_000, 32_000)); attempt++) {
            if (attempt > 50) {
                throw new IllegalStateException("no free port for " + id);
            }
        }
    }

    String id() {
        return id;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** Requests answered since creation, over all restarts. */
    int served() {
        return served.get();
    }

    /** How many times the listener was started. */
    int starts() {
        return starts.get();
    }

    int slowArrived() {
        return slowArrived.get();
    }

    void releaseSlow() {
        slowGate.getAndSet(new CompletableFuture<>()).complete(null);
    }

    /** Listens again on the same port. NIO frees a closed listener's port lazily, hence the wait. */
    synchronized void start() {
        Await.until("port " + port + " to be free again", () -> bind(port));
    }

    private boolean bind(int candidate) {
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(1 << 16), new Responder());
                    }
                })
                .bind("127.0.0.1", candidate).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            return false;
        }
        listener = bound.channel();
        port = ((InetSocketAddress) listener.localAddress()).getPort();
        starts.incrementAndGet();
        return true;
    }

    synchronized void stop() throws InterruptedException {
        listener.close().sync();
        connections.close().sync();
    }

    synchronized void restart() throws InterruptedException {
        stop();
        start();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(id, StandardCharsets.UTF_8));
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            if (request.uri().startsWith("/slow")) {
                slowArrived.incrementAndGet();
                slowGate.get().thenRun(() -> ctx.executor().execute(() -> answer(ctx, response)));
            } else {
                answer(ctx, response);
            }
        }

        private void answer(ChannelHandlerContext ctx, FullHttpResponse response) {
            served.incrementAndGet();
            ctx.writeAndFlush(response);
        }
    }
}
