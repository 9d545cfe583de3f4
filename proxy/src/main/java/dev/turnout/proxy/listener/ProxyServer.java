package dev.turnout.proxy.listener;

import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.compression.ResponseCompressor;
import dev.turnout.proxy.config.ClientLimits;
import dev.turnout.proxy.config.CompressionConfig;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.config.Timeouts;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.health.OutlierEjector;
import dev.turnout.proxy.metrics.TrafficMetrics;
import dev.turnout.proxy.transport.Transport;
import dev.turnout.proxy.upstream.UpstreamConnector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP/1.1 data-plane listener. Every accepted connection joins one channel group, which is
 * what graceful shutdown walks: stop accepting, let each connection finish its exchange, then
 * force-close whatever is left at the grace deadline.
 */
public final class ProxyServer {

    private static final int MAX_CHUNK = 64 * 1024;
    private static final String TOO_MANY_CLIENTS = "503 Service Unavailable: too many client connections\n";
    private static final byte[] TOO_MANY_CONNECTIONS = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            + "Content-Length: " + TOO_MANY_CLIENTS.length() + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
            + TOO_MANY_CLIENTS).getBytes(StandardCharsets.US_ASCII);

    private final ChannelGroup connections = new DefaultChannelGroup("turnout-clients", GlobalEventExecutor.INSTANCE);
    private final ServerBootstrap bootstrap;
    private Channel serverChannel;

    public ProxyServer(Transport transport, EventLoopGroup acceptors, EventLoopGroup workers, RoutingState routing,
            UpstreamConnector connector, OutlierEjector ejector, ResponseCache cache, TrafficMetrics metrics, Timeouts timeouts,
            ClientLimits limits, CompressionConfig compression) {
        FrontendShared shared = new FrontendShared(routing, connector, ejector, cache, metrics, timeouts.request().toNanos(),
                limits.headerCount());
        long headerReadNanos = timeouts.headerRead().toNanos();
        long bodyReadNanos = timeouts.bodyRead().toNanos();
        long idleMillis = timeouts.idle().toMillis();
        Supplier<ResponseCompressor> compressors = compression.enabled() ? ResponseCompressor.factory(compression) : null;
        this.bootstrap = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (connections.size() >= limits.connections()) {
                            // Refused politely, not dropped: a plain answer, then close.
                            ch.writeAndFlush(Unpooled.wrappedBuffer(TOO_MANY_CONNECTIONS))
                                    .addListener(ChannelFutureListener.CLOSE);
                            return;
                        }
                        connections.add(ch);
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS))
                                .addLast("read-timeout", new RequestHeadGuard(headerReadNanos, bodyReadNanos))
                                .addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(limits.requestLine())
                                        .setMaxHeaderSize(limits.headerSize())
                                        .setMaxChunkSize(MAX_CHUNK)
                                        .setStrictLineParsing(true)
                                        .setUseRfc9112TransferEncoding(true)));
                        if (compressors != null) {
                            ch.pipeline().addLast("compress", compressors.get());
                        }
                        ch.pipeline().addLast("proxy", new ProxyFrontendHandler(shared));
                    }
                });
    }

    /** Binds the listener; returns the bound address (the real port when 0 was asked for). */
    public InetSocketAddress start(HostPort listen) throws IOException, InterruptedException {
        ChannelFuture bound = bootstrap.bind(listen.host(), listen.port()).await();
        if (!bound.isSuccess()) {
            throw new IOException("cannot listen on " + listen + ": " + bound.cause().getMessage(), bound.cause());
        }
        serverChannel = bound.channel();
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * Stops accepting, asks every connection to close after its current exchange, and waits up to
     * {@code grace}; connections still open then are closed.
     *
     * @return true if every connection finished within the grace period
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        if (serverChannel != null) {
            serverChannel.close().sync();
        }
        for (Channel ch : connections) {
            ch.pipeline().fireUserEventTriggered(ShutdownRequested.INSTANCE);
        }
        boolean clean = connections.newCloseFuture().await(grace.toMillis());
        if (!clean) {
            connections.close().await(grace.toMillis() + 1000);
        }
        return clean;
    }
}
