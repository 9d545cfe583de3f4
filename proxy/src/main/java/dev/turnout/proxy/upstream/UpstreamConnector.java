package dev.turnout.proxy.upstream;

import dev.turnout.proxy.config.HealthCheckConfig;
import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.config.Timeouts;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.tls.BackendTlsContexts;
import dev.turnout.proxy.transport.IdleTimeout;
import dev.turnout.proxy.transport.PipelineNames;
import dev.turnout.proxy.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Gives exchanges their {@link UpstreamStream} to a backend: for an HTTP/1.1 pool a connection of
 * its own, kept alive and pooled while idle; for an h2 or h2c pool a stream on a connection shared
 * with other exchanges ({@link Http2Upstreams}). Both are kept per (backend, event loop).
 *
 * <p>Every method runs on the calling client channel's event loop and the pools are that loop's
 * own (a {@link FastThreadLocal}), so leasing and returning a connection takes no lock and a
 * connection never changes threads. Idle HTTP/1.1 connections are reused newest first, which keeps
 * the warm ones busy and lets the surplus reach the idle timeout and close.
 */
public final class UpstreamConnector {

    /** Idle connections kept per (backend, event loop); more are closed on release. */
    private static final int MAX_IDLE_PER_LOOP = 512;
    private static final int MAX_RESPONSE_LINE = 8192;
    static final int MAX_RESPONSE_HEADERS = 32 * 1024;

    /** Each connection's last handler, found without a by-name pipeline search on every exchange. */
    private static final AttributeKey<UpstreamHandler> RELAY = AttributeKey.valueOf(UpstreamConnector.class, "relay");

    private final Supplier<Timeouts> timeouts;
    private final UpstreamChannels channels;
    private final Http2Upstreams http2;
    private final FastThreadLocal<Map<Backend, ArrayDeque<Channel>>> idleByBackend = new FastThreadLocal<>() {
        @Override
        protected Map<Backend, ArrayDeque<Channel>> initialValue() {
            return new IdentityHashMap<>();
        }
    };

    /**
     * @param timeouts the timeouts in force, read for each new connection (a reload may change them)
     * @param tls      the client TLS contexts of the pools that use TLS, already prepared
     */
    public UpstreamConnector(Transport transport, Supplier<Timeouts> timeouts, BackendTlsContexts tls) {
        this.timeouts = timeouts;
        this.channels = new UpstreamChannels(transport, () -> timeouts.get().connect().toMillis(), tls);
        this.http2 = new Http2Upstreams(channels, () -> timeouts.get().idle().toMillis(),
                () -> timeouts.get().connect().toMillis());
    }

    private void addHttp1(Channel ch) {
        Http1ResponseDecoder decoder = new Http1ResponseDecoder(MAX_RESPONSE_LINE, MAX_RESPONSE_HEADERS);
        UpstreamHandler relay = new UpstreamHandler(decoder);
        // A failed send shuts only the sending side (see UpstreamHandler), so that an answer the backend sent
        // before resetting can still be read.
        ch.config().setAutoClose(false);
        ch.pipeline()
                .addLast(PipelineNames.IDLE, new IdleTimeout(timeouts.get().idle().toMillis(), TimeUnit.MILLISECONDS))
                .addLast(PipelineNames.HTTP_DECODER, decoder)
                .addLast(PipelineNames.HTTP_ENCODER, new Http1RequestEncoder(decoder))
                .addLast(PipelineNames.RELAY, relay);
        ch.attr(RELAY).set(relay);
    }

    /**
     * A stream to {@code backend} bound to {@code listener} that needs no new connection: an idle
     * pooled HTTP/1.1 connection, or a stream on a shared HTTP/2 connection with room for one; null
     * when there is none on this event loop.
     */
    public UpstreamStream leaseIdle(Pool pool, Backend backend, UpstreamListener listener) {
        if (pool.transport().http2()) {
            return http2.lease(backend, listener);
        }
        ArrayDeque<Channel> idle = idleByBackend.get().get(backend);
        if (idle == null) {
            return null;
        }
        Channel ch;
        while ((ch = idle.pollFirst()) != null) {
            if (ch.isActive()) {
                UpstreamHandler stream = handler(ch);
                stream.bind(listener);
                return stream;
            }
        }
        return null;
    }

    /**
     * Whether {@link #connect} would serve a stream without opening a connection: an HTTP/2
     * connection to {@code backend} is being opened on this loop and can take one more stream. The
     * per-backend connection cap does not apply then.
     */
    public boolean joinsPendingConnection(Pool pool, Backend backend) {
        return pool.transport().http2() && http2.pendingHasRoom(backend);
    }

    /**
     * A stream to {@code backend} on {@code loop} over a new connection (for HTTP/2, possibly one
     * being opened already); the future fails with the connect's cause, or gives the stream, to
     * bind with {@link #bind} (it may have closed already).
     */
    public Future<UpstreamStream> connect(Pool pool, Backend backend, EventLoop loop) {
        PoolTransport transport = pool.transport();
        if (transport.http2()) {
            return http2.connect(transport, pool.resilience(), backend, loop);
        }
        Future<Channel> opened = channels.open(transport, backend, loop, this::addHttp1);
        Promise<UpstreamStream> stream = loop.newPromise();
        opened.addListener(f -> {
            if (f.isSuccess()) {
                Channel ch = opened.getNow();
                // Once per connection: a pooled connection that the backend closes leaves the pool.
                ch.closeFuture().addListener(closed -> {
                    ArrayDeque<Channel> idle = idleByBackend.get().get(backend);
                    if (idle != null) {
                        idle.remove(ch);
                    }
                });
                stream.setSuccess(handler(ch));
            } else {
                stream.setFailure(f.cause());
            }
        });
        return stream;
    }

    public void bind(UpstreamStream upstream, UpstreamListener listener) {
        if (upstream instanceof Http2UpstreamStream h2) {
            h2.bind(listener);
        } else {
            ((UpstreamHandler) upstream).bind(listener);
        }
    }

    /** Takes back a stream whose exchange ended cleanly; an HTTP/1.1 connection must be idle and active. */
    public void release(Backend backend, UpstreamStream stream) {
        if (stream instanceof Http2UpstreamStream h2) {
            h2.close();
            return;
        }
        UpstreamHandler handler = (UpstreamHandler) stream;
        Channel upstream = handler.channel();
        handler.unbind();
        upstream.config().setAutoRead(true);
        ArrayDeque<Channel> idle = idleByBackend.get().computeIfAbsent(backend, b -> new ArrayDeque<>());
        if (!backend.keepsConnections() || !upstream.isActive() || idle.size() >= MAX_IDLE_PER_LOOP
                || handler.outOfStep()) {
            upstream.close();
            return;
        }
        idle.addFirst(upstream);
    }

    /**
     * Closes the idle connections kept for {@code backend} on every loop (each on its own thread);
     * connections busy with an exchange close when it ends, as the backend then keeps none.
     */
    public void closeIdle(Backend backend, Iterable<EventExecutor> loops) {
        for (EventExecutor loop : loops) {
            loop.execute(() -> {
                ArrayDeque<Channel> idle = idleByBackend.get().remove(backend);
                if (idle != null) {
                    idle.forEach(Channel::close);
                }
                http2.closeIdle(backend);
            });
        }
    }

    /**
     * Drops a stream that must not be reused (a broken or unfinished exchange): an HTTP/1.1
     * connection is closed, an HTTP/2 stream reset (its connection serves the others).
     */
    public void discard(UpstreamStream upstream) {
        if (upstream instanceof Http2UpstreamStream h2) {
            h2.close();
            return;
        }
        ((UpstreamHandler) upstream).unbind();
        upstream.channel().close();
    }

    /**
     * Probes {@code backend}'s health on {@code loop} over a connection of its own, made as the
     * pool's requests are (TLS, HTTP/2); see {@link UpstreamProbe}. Callable from any thread.
     */
    public CompletableFuture<ProbeOutcome> probe(PoolTransport transport, Backend backend, HealthCheckConfig check,
            EventLoop loop) {
        return UpstreamProbe.run(channels, transport, backend, check, loop);
    }

    private static UpstreamHandler handler(Channel ch) {
        return ch.attr(RELAY).get();
    }
}
