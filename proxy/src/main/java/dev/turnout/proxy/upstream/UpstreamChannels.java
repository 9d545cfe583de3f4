package dev.turnout.proxy.upstream;

import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.tls.BackendTlsContexts;
import dev.turnout.proxy.transport.PipelineNames;
import dev.turnout.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the TCP connection to a backend and, for a pool with {@code tls}, its TLS session: the
 * backend's certificate verified against the pool's CA and the name it is reached by (the pool's
 * {@code server-name}, else the address's host), and for {@code h2} the protocol checked to be
 * h2 by ALPN. A connection is handed out only once all of that succeeded, so a backend whose
 * certificate fails verification never sees a byte of a request.
 *
 * <p>A failed verification is logged at WARN with the pool, backend and reason, at most once per
 * {@link #TLS_WARNING_INTERVAL_NANOS} per backend: a misconfigured backend fails every connect.
 */
final class UpstreamChannels {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamChannels.class);
    private static final long TLS_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Bootstrap bootstrap;
    private final BackendTlsContexts tls;
    private final LongSupplier connectTimeoutMillis;
    // When each backend's last TLS failure was logged; touched only when a handshake fails.
    private final Map<Backend, Long> tlsWarnedAt = new ConcurrentHashMap<>();

    /** @param connectTimeoutMillis the connect timeout in force, read for each new connection (a reload may change it) */
    UpstreamChannels(Transport transport, LongSupplier connectTimeoutMillis, BackendTlsContexts tls) {
        this.tls = tls;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.bootstrap = new Bootstrap()
                .channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
    }

    /**
     * Opens a connection to {@code backend} on {@code loop}: TLS first when the pool has it, then,
     * once the handshake and its ALPN check succeeded, the handlers {@code protocol} adds. The
     * backend counts the connect as pending until the future completes, and the connection as
     * open until it closes.
     *
     * @return the channel once connected (and its TLS handshake done), or the failure: a
     *         {@link javax.net.ssl.SSLException} for TLS, a timeout for a backend too slow to accept
     */
    Future<Channel> open(PoolTransport transport, Backend backend, EventLoop loop, Consumer<Channel> protocol) {
        backend.connectStarted();
        Promise<Channel> ready = loop.newPromise();
        ready.addListener(f -> backend.connectEnded());
        int connectMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis.getAsLong());
        Bootstrap attempt = bootstrap.clone(loop).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis);
        ChannelFuture connected = attempt.handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                if (transport.tls() != null) {
                    ch.pipeline().addLast(PipelineNames.TLS, newTlsHandler(transport, backend, ch));
                } else {
                    protocol.accept(ch);
                }
            }
        }).connect(backend.socketAddress());
        Channel ch = connected.channel();
        ch.closeFuture().addListener(f -> backend.connectionClosed());
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                ready.tryFailure(f.cause());
                return;
            }
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl == null) {
                ready.trySuccess(ch);
                return;
            }
            ssl.handshakeFuture().addListener(h -> {
                Throwable failure = h.isSuccess() ? alpnMismatch(transport, ssl) : h.cause();
                if (failure == null) {
                    // Only now: an HTTP/2 handler added earlier would queue its preface for the handshake's end,
                    // and it could reach a backend that turned out not to speak h2.
                    protocol.accept(ch);
                    ready.trySuccess(ch);
                    return;
                }
                if (!(failure instanceof SslHandshakeTimeoutException)) {
                    warnTlsFailure(backend, failure);
                }
                ready.tryFailure(failure);
                ch.close();
            });
        });
        return ready;
    }

    private SslHandler newTlsHandler(PoolTransport transport, Backend backend, Channel ch) {
        String name = transport.tls().serverName() != null ? transport.tls().serverName()
                : backend.socketAddress().getHostString();
        SslHandler handler = tls.forTransport(transport).newHandler(ch.alloc(), name, backend.socketAddress().getPort());
        handler.setHandshakeTimeoutMillis(connectTimeoutMillis.getAsLong());
        return handler;
    }

    /** An h2 pool whose backend did not agree to h2 by ALPN: HTTP/2 bytes would be garbage to it. */
    private static SSLException alpnMismatch(PoolTransport transport, SslHandler ssl) {
        if (transport.protocol() != PoolTransport.Protocol.H2
                || ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
            return null;
        }
        String chosen = ssl.applicationProtocol();
        return new SSLHandshakeException("backend did not agree to h2 by ALPN (" + (chosen == null ? "it named no protocol"
                : "it chose " + chosen) + ")");
    }

    private void warnTlsFailure(Backend backend, Throwable failure) {
        long now = System.nanoTime();
        Long last = tlsWarnedAt.get(backend);
        if (last != null && now - last < TLS_WARNING_INTERVAL_NANOS) {
            return;
        }
        tlsWarnedAt.put(backend, now);
        LOG.warn("pool {} backend {} ({}): TLS with the backend failed, so no request was sent: {}", backend.poolName(),
                backend.id(), backend.address(), reason(failure));
    }

    /** The innermost message: "PKIX path building failed: ...", "No subject alternative names matching ...". */
    static String reason(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
