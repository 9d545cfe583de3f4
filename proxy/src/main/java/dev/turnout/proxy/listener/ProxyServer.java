package dev.turnout.proxy.listener;

import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.compression.ResponseCompressor;
import dev.turnout.proxy.config.ClientAddressConfig;
import dev.turnout.proxy.config.ClientLimits;
import dev.turnout.proxy.config.CompressionConfig;
import dev.turnout.proxy.config.DataPlaneSettings;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.config.Timeouts;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.accesslog.AccessLog;
import dev.turnout.proxy.exchange.FrontendShared;
import dev.turnout.proxy.health.OutlierEjector;
import dev.turnout.proxy.metrics.TrafficMetrics;
import dev.turnout.proxy.tls.TlsContexts;
import dev.turnout.proxy.transport.IdleTimeout;
import dev.turnout.proxy.transport.PipelineNames;
import dev.turnout.proxy.transport.Transport;
import dev.turnout.proxy.upstream.UpstreamConnector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP/1.1 data-plane listener. Every accepted connection joins one channel group, which is
 * what graceful shutdown walks: stop accepting, let each connection finish its exchange, then
 * force-close whatever is left at the grace deadline.
 */
public final class ProxyServer {

    private static final String TOO_MANY_CLIENTS = "503 Service Unavailable: too many client connections\n";
    private static final byte[] TOO_MANY_CONNECTIONS = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            + "Content-Length: " + TOO_MANY_CLIENTS.length() + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
            + TOO_MANY_CLIENTS).getBytes(StandardCharsets.US_ASCII);

    /**
     * How much answer a client connection may hold unsent before its backend's reads pause (and resume under
     * half of it): room for a whole 64 KiB answer and its head, as nginx's proxy buffers, so that an answer
     * that size flows without pausing the backend, toggling its reads, for every answer.
     */
    private static final WriteBufferWaterMark CLIENT_WRITE_BUFFER = new WriteBufferWaterMark(128 * 1024, 256 * 1024);

    /** Read sizes adapt per connection; the allocator that makes each one's sizing is shared (Netty makes one per channel). */
    private static final AdaptiveRecvByteBufAllocator CLIENT_READS = new AdaptiveRecvByteBufAllocator();

    /**
     * How long a plain HTTP/1.1 connection must have been quiet between requests before it is parked: long
     * enough that a client sending one request after another never waits on its connection coming back.
     */
    private static final long PARK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ChannelGroup connections = new DefaultChannelGroup("turnout-clients", GlobalEventExecutor.INSTANCE);
    private final ParkedConnections parked = new ParkedConnections(connections);
    private final List<Channel> serverChannels = new ArrayList<>();
    private final Transport transport;
    private final EventLoopGroup workers;
    private FrontendShared shared;
    private final boolean takeover;
    private final Http2Abuse http2Abuse = new Http2Abuse();
    private final boolean proxyProtocol;
    private final TrustedProxies trustedProxies;
    /** The compressors of the compression settings last seen; made again when a reload changes them. */
    private volatile Compressors compressors = new Compressors(null, null);

    /** A compression configuration and its compressor factory (null when compression is off). */
    private record Compressors(CompressionConfig config, Supplier<ResponseCompressor> factory) {
    }

    public ProxyServer(Transport transport, EventLoopGroup workers, RoutingState routing,
            UpstreamConnector connector, OutlierEjector ejector, ResponseCache cache, TrafficMetrics metrics, AccessLog accessLog,
            ClientAddressConfig clientAddress,
            boolean takeover) {
        this.takeover = takeover;
        this.proxyProtocol = clientAddress.proxyProtocol();
        this.trustedProxies = new TrustedProxies(clientAddress.trustedProxies());
        this.transport = transport;
        this.workers = workers;
        this.shared = new FrontendShared(routing, connector, ejector, cache, metrics, accessLog, null);
    }

    /**
     * The settings a new connection takes for its whole life: the client timeouts, limits and compression of
     * the snapshot in force when it is accepted (a reload changes them for the connections accepted after it).
     */
    private record ConnectionSettings(Timeouts timeouts, ClientLimits limits, Supplier<ResponseCompressor> compressors) {
    }

    private ConnectionSettings connectionSettings(FrontendShared shared) {
        DataPlaneSettings settings = shared.routing().current().settings();
        CompressionConfig compression = settings.compression();
        Compressors known = compressors;
        if (!compression.equals(known.config())) {
            // Rare (a reload); two loops racing here make equal factories, and either one serves.
            known = new Compressors(compression, compression.enabled() ? ResponseCompressor.factory(compression) : null);
            compressors = known;
        }
        return new ConnectionSettings(settings.timeouts(), settings.limits(), known.factory());
    }

    /**
     * A listener's bootstrap; with {@code tls} every connection starts with a TLS handshake whose
     * certificate is chosen by SNI.
     */
    private ServerBootstrap bootstrap(TlsContexts tls) {
        FrontendShared shared = this.shared;
        return new ServerBootstrap()
                // Accepted on an event loop too: no thread of its own to hand each new connection over from.
                .group(workers, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        setClientOptions(ch);
                        ConnectionSettings settings = connectionSettings(shared);
                        if (openConnections() >= settings.limits().connections()) {
                            // Refused politely, not dropped: a plain answer, then a lingering close.
                            LingeringClose.afterWrite(ch.writeAndFlush(Unpooled.wrappedBuffer(TOO_MANY_CONNECTIONS)));
                            return;
                        }
                        connections.add(ch);
                        if (proxyProtocol) {
                            // Before TLS: the balancer writes the header ahead of the client's handshake.
                            ch.pipeline().addLast(PipelineNames.PROXY_PROTOCOL, new HAProxyMessageDecoder())
                                    .addLast(PipelineNames.PROXY_SOURCE, new ProxyProtocolSource());
                        }
                        if (tls == null) {
                            addHttp1(ch.pipeline(), shared, settings, false, true);
                            return;
                        }
                        ch.pipeline()
                                .addLast(PipelineNames.TLS, new SniHandler(tls::forHost))
                                .addLast(PipelineNames.ALPN, new ApplicationProtocolNegotiationHandler(
                                        ApplicationProtocolNames.HTTP_1_1) {
                                    @Override
                                    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
                                        acknowledgeHandshakeRead(ctx);
                                        super.channelReadComplete(ctx);
                                    }

                                    @Override
                                    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                                        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                                            // Its SETTINGS, flushed at the end of this read, carry the ACK.
                                            addHttp2(ctx.pipeline(), shared, settings, true);
                                        } else {
                                            addHttp1(ctx.pipeline(), shared, settings, true, false);
                                            acknowledgeHandshakeRead(ctx);
                                        }
                                    }
                                });
                    }
                });
    }

    /**
     * Acknowledges a read of the TLS handshake at once. A client that leaves Nagle on (Java's sockets, Python's) sends
     * its next write only once its last is acknowledged, and a handshake read often gets no answer to carry the ACK: Java
     * sends its ChangeCipherSpec alone before its Finished, and in TLS 1.3 the client's Finished ends the handshake while
     * BoringSSL holds its session tickets until the first answer. Left to the kernel's delayed-ACK timer, the client's
     * Finished or first request would wait 40 ms.
     */
    private static void acknowledgeHandshakeRead(ChannelHandlerContext ctx) {
        Transport.acknowledgeNow(ctx.channel());
    }

    /** The options of every client connection, set on each as it is accepted and again when it comes back from parking. */
    private static void setClientOptions(Channel ch) {
        ch.config().setOption(ChannelOption.TCP_NODELAY, true);
        ch.config().setWriteBufferWaterMark(CLIENT_WRITE_BUFFER);
        ch.config().setRecvByteBufAllocator(CLIENT_READS);
    }

    /**
     * An HTTP/1.1 connection: one exchange at a time (pipelined requests wait their turn). A plain one is
     * parked when it has been quiet between requests for {@link #PARK_AFTER_NANOS}, where the transport allows.
     *
     * @param mayBeH2c the connection's first bytes are still to come, and may be the HTTP/2 preface
     */
    private void addHttp1(ChannelPipeline pipeline, FrontendShared shared, ConnectionSettings settings, boolean secure,
            boolean mayBeH2c) {
        Timeouts timeouts = settings.timeouts();
        ClientLimits limits = settings.limits();
        Http1ResponseEncoder responses = new Http1ResponseEncoder();
        ParkedConnections.Parking parking = secure || !ParkedConnections.supports(pipeline.channel()) ? null
                : this.parked.parking(resumed -> resumeHttp1(resumed, shared, settings));
        pipeline.addLast(PipelineNames.IDLE, new IdleTimeout(timeouts.idle().toMillis(), TimeUnit.MILLISECONDS,
                        parking == null ? 0 : PARK_AFTER_NANOS))
                .addLast(PipelineNames.HTTP_RESPONSES, responses)
                .addLast(PipelineNames.HTTP, new Http1RequestDecoder(timeouts.headerRead().toNanos(),
                        timeouts.bodyRead().toNanos(), limits.requestLine(), limits.headerSize(), responses,
                        mayBeH2c ? decoder -> switchToH2c(decoder.pipeline(), shared, settings) : null));
        if (settings.compressors() != null) {
            pipeline.addLast(PipelineNames.COMPRESS, settings.compressors().get());
        }
        pipeline.addLast(PipelineNames.PROXY, new ProxyFrontendHandler(shared, secure, trustedProxies, parking));
    }

    /** A parked connection that the client sent to again: in service as it was, with the settings it was accepted with. */
    private void resumeHttp1(Channel ch, FrontendShared shared, ConnectionSettings settings) {
        setClientOptions(ch);
        addHttp1(ch.pipeline(), shared, settings, false, false);
    }

    /** A plain connection that opened with the HTTP/2 preface (h2c with prior knowledge) leaves HTTP/1.1. */
    private void switchToH2c(ChannelPipeline pipeline, FrontendShared shared, ConnectionSettings settings) {
        for (String name : PipelineNames.HTTP1) {
            if (pipeline.get(name) != null) {
                pipeline.remove(name);
            }
        }
        addHttp2(pipeline, shared, settings, false);
    }

    /**
     * An HTTP/2 connection (negotiated by ALPN, or h2c): its streams run on the connection's own
     * pipeline, each the client side of one exchange, proxied like an HTTP/1.1 request, so every
     * stream counts in flight on its backend and backend connections stay pooled.
     */
    private void addHttp2(ChannelPipeline pipeline, FrontendShared shared, ConnectionSettings settings, boolean secure) {
        Timeouts timeouts = settings.timeouts();
        Http2ServerConnection.StreamSettings streams = new Http2ServerConnection.StreamSettings(shared, secure,
                timeouts.bodyRead().toNanos(), timeouts.idle().toNanos(), settings.compressors());
        pipeline.addLast(PipelineNames.IDLE, new IdleTimeout(timeouts.idle().toMillis(), TimeUnit.MILLISECONDS))
                .addLast(PipelineNames.H2_HEADER_BLOCK, new Http2HeaderBlockGuard(timeouts.headerRead().toNanos()))
                .addLast(PipelineNames.H2, Http2ServerConnection.create(settings.limits(), http2Abuse, streams,
                        new ClientAddress(pipeline.channel(), trustedProxies)));
    }

    /** Binds the plain listener; returns the bound address (the real port when 0 was asked for). */
    public InetSocketAddress start(HostPort listen) throws IOException, InterruptedException {
        return bind(bootstrap(null), listen);
    }

    /**
     * Binds a TLS listener whose certificates come from {@code tls}; call it before {@link #start}.
     *
     * @param redirectPlain the plain listener then answers 308 to this one instead of proxying
     */
    public InetSocketAddress startTls(HostPort listen, TlsContexts tls, boolean redirectPlain)
            throws IOException, InterruptedException {
        InetSocketAddress bound = bind(bootstrap(tls), listen);
        if (redirectPlain) {
            shared = shared.withHttpsRedirectPort(bound.getPort() == 443 ? "" : Integer.toString(bound.getPort()));
        }
        return bound;
    }

    private InetSocketAddress bind(ServerBootstrap bootstrap, HostPort listen) throws IOException, InterruptedException {
        if (!takeover && listen.port() != 0) {
            refuseIfTaken(listen);
        }
        transport.shareListeningPort(bootstrap);
        ChannelFuture bound = bootstrap.bind(listen.host(), listen.port()).await();
        if (!bound.isSuccess()) {
            throw new IOException("cannot listen on " + listen + ": " + bound.cause().getMessage(), bound.cause());
        }
        serverChannels.add(bound.channel());
        return (InetSocketAddress) bound.channel().localAddress();
    }

    /**
     * Every listener shares its port (SO_REUSEPORT) so that an upgrade can start the next Turnout
     * beside this one; a start that is not such a takeover must still fail loudly when the port is
     * in use, so it first tries an ordinary bind.
     */
    private static void refuseIfTaken(HostPort listen) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getByName(listen.host()), listen.port()));
        } catch (BindException e) {
            throw new IOException("cannot listen on " + listen + ": address already in use (to start beside a running "
                    + "Turnout during an upgrade, use --takeover)", e);
        }
    }

    /** HTTP/2 connections closed for abuse, by kind. */
    public Http2Abuse http2Abuse() {
        return http2Abuse;
    }

    /** Client connections open now, plain and TLS, parked ones too, for the status page. */
    public int openConnections() {
        return connections.size() + parked.size();
    }

    /** Of the open client connections, those parked: quiet between requests, held as their socket alone. */
    public int parkedConnections() {
        return parked.size();
    }

    /**
     * Stops accepting, asks every connection to close after its current exchange, and waits up to
     * {@code grace}; connections still open then are closed.
     *
     * @return true if every connection finished within the grace period
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        for (Channel serverChannel : serverChannels) {
            serverChannel.close().sync();
        }
        parked.closeAll();
        for (Channel ch : connections) {
            ch.pipeline().fireUserEventTriggered(ShutdownRequested.INSTANCE);
        }
        long deadline = System.nanoTime() + grace.toNanos();
        boolean clean;
        do {
            // Again while a connection that came back from parking meanwhile is still open.
            clean = connections.newCloseFuture().await(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } while (clean && !connections.isEmpty() && System.nanoTime() < deadline);
        clean = clean && connections.isEmpty();
        if (!clean) {
            for (Channel ch : connections) {
                // From the socket's end of the pipeline: an HTTP/2 codec would wait for its streams again.
                ChannelHandlerContext first = ch.pipeline().firstContext();
                if (first != null) {
                    first.close();
                } else {
                    ch.close();
                }
            }
            connections.newCloseFuture().await(grace.toMillis() + 1000);
        }
        return clean;
    }
}
