package dev.turnout.proxy.upstream;

import dev.turnout.proxy.config.Timeouts;
import dev.turnout.proxy.http.HeadSyntax;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.transport.IdleTimeout;
import dev.turnout.proxy.transport.PipelineNames;
import dev.turnout.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Opens backend connections and keeps the idle keep-alive ones, per (backend, event loop).
 *
 * <p>Every method runs on the calling client channel's event loop and the pools are that loop's
 * own (a {@link FastThreadLocal}), so leasing and returning a connection takes no lock and a
 * connection never changes threads. Idle connections are reused newest first, which keeps the
 * warm ones busy and lets the surplus reach the idle timeout and close.
 */
public final class UpstreamConnector {

    /** Idle connections kept per (backend, event loop); more are closed on release. */
    private static final int MAX_IDLE_PER_LOOP = 512;
    private static final int MAX_RESPONSE_LINE = 8192;
    private static final int MAX_RESPONSE_HEADERS = 32 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    /** Each connection's last handler, found without a by-name pipeline search on every exchange. */
    private static final AttributeKey<UpstreamHandler> RELAY = AttributeKey.valueOf(UpstreamConnector.class, "relay");

    private final Bootstrap bootstrap;
    private final Supplier<Timeouts> timeouts;
    private final FastThreadLocal<Map<Backend, ArrayDeque<Channel>>> idleByBackend = new FastThreadLocal<>() {
        @Override
        protected Map<Backend, ArrayDeque<Channel>> initialValue() {
            return new IdentityHashMap<>();
        }
    };

    /** @param timeouts the timeouts in force, read for each new connection (a reload may change them) */
    public UpstreamConnector(Transport transport, Supplier<Timeouts> timeouts) {
        this.timeouts = timeouts;
        this.bootstrap = new Bootstrap()
                .channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        long idleMillis = timeouts.get().idle().toMillis();
                        UpstreamResponseDecoder decoder = new UpstreamResponseDecoder(new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_RESPONSE_LINE)
                                .setMaxHeaderSize(MAX_RESPONSE_HEADERS)
                                .setMaxChunkSize(MAX_CHUNK)
                                .setHeadersFactory(HeadSyntax.CHECKED_HEAD_HEADERS));
                        UpstreamHandler relay = new UpstreamHandler(decoder);
                        ch.pipeline()
                                .addLast(PipelineNames.IDLE, new IdleTimeout(idleMillis, TimeUnit.MILLISECONDS))
                                .addLast(PipelineNames.HEAD_GUARD, new ResponseHeadGuard())
                                .addLast(PipelineNames.HTTP_DECODER, decoder)
                                .addLast(PipelineNames.HTTP_ENCODER, decoder.requestEncoder())
                                .addLast(PipelineNames.RELAY, relay);
                        ch.attr(RELAY).set(relay);
                    }
                });
    }

    /**
     * An idle pooled connection to {@code backend} bound to {@code listener}, or null when none is
     * pooled on this event loop.
     */
    public UpstreamStream leaseIdle(Backend backend, UpstreamListener listener) {
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
     * Opens a new connection on {@code loop}; the future fails with the connect's cause, or gives
     * the connection, to bind with {@link #bind} (it may have closed already).
     */
    public Future<UpstreamStream> connect(Backend backend, EventLoop loop) {
        backend.connectStarted();
        int connectMillis = (int) Math.min(Integer.MAX_VALUE, timeouts.get().connect().toMillis());
        ChannelFuture connected = bootstrap.clone(loop).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis)
                .connect(backend.socketAddress());
        connected.addListener(f -> backend.connectEnded());
        Channel ch = connected.channel();
        Promise<UpstreamStream> stream = loop.newPromise();
        connected.addListener(f -> {
            if (f.isSuccess()) {
                stream.setSuccess(handler(ch));
            } else {
                stream.setFailure(f.cause());
            }
        });
        // Once per connection: a pooled connection that the backend closes leaves the pool.
        ch.closeFuture().addListener(f -> {
            backend.connectionClosed();
            ArrayDeque<Channel> idle = idleByBackend.get().get(backend);
            if (idle != null) {
                idle.remove(ch);
            }
        });
        return stream;
    }

    public void bind(UpstreamStream upstream, UpstreamListener listener) {
        ((UpstreamHandler) upstream).bind(listener);
    }

    /** Takes back a connection whose exchange ended cleanly; it must be idle and active. */
    public void release(Backend backend, UpstreamStream stream) {
        UpstreamHandler handler = (UpstreamHandler) stream;
        Channel upstream = handler.channel();
        handler.unbind();
        upstream.config().setAutoRead(true);
        ArrayDeque<Channel> idle = idleByBackend.get().computeIfAbsent(backend, b -> new ArrayDeque<>());
        if (!backend.keepsConnections() || !upstream.isActive() || idle.size() >= MAX_IDLE_PER_LOOP
                || handler.hasLeftovers()) {
            upstream.close();
            return;
        }
        idle.addFirst(upstream);
    }

    /**
     * Closes the idle connections pooled for {@code backend} on every loop (each on its own
     * thread); connections busy with an exchange close when it ends, as the backend then keeps none.
     */
    public void closeIdle(Backend backend, Iterable<EventExecutor> loops) {
        for (EventExecutor loop : loops) {
            loop.execute(() -> {
                ArrayDeque<Channel> idle = idleByBackend.get().remove(backend);
                if (idle != null) {
                    idle.forEach(Channel::close);
                }
            });
        }
    }

    /** Drops a connection that must not be reused (a broken or unfinished exchange). */
    public void discard(UpstreamStream upstream) {
        ((UpstreamHandler) upstream).unbind();
        upstream.channel().close();
    }

    private static UpstreamHandler handler(Channel ch) {
        return ch.attr(RELAY).get();
    }
}
