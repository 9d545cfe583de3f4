package dev.turnout.proxy.upstream;

import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.config.ResilienceConfig;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.transport.IdleTimeout;
import dev.turnout.proxy.transport.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The HTTP/2 connections to each backend of the h2 and h2c pools, per event loop: exchanges share
 * them, each with a stream of its own. A stream goes on the oldest connection with room under the
 * backend's {@code SETTINGS_MAX_CONCURRENT_STREAMS}, so the surplus connections of a burst go idle
 * and close; when every connection is full a new one is opened (within the pool's
 * {@code max-connections}), and exchanges asking while one is being opened wait for it.
 *
 * <p>Everything runs on the event loop that owns the connections, as for HTTP/1.1.
 */
final class Http2Upstreams {

    private static final ChannelHandler NO_PUSHED_STREAMS = new NoPushedStreams();

    private final UpstreamChannels channels;
    private final LongSupplier idleMillis;
    private final LongSupplier readyTimeoutMillis;
    private final FastThreadLocal<Map<Backend, List<Http2UpstreamConnection>>> byBackend = new FastThreadLocal<>() {
        @Override
        protected Map<Backend, List<Http2UpstreamConnection>> initialValue() {
            return new IdentityHashMap<>();
        }
    };

    /** @param readyTimeoutMillis how long a new connection may take to be ready, its SETTINGS included */
    Http2Upstreams(UpstreamChannels channels, LongSupplier idleMillis, LongSupplier readyTimeoutMillis) {
        this.channels = channels;
        this.idleMillis = idleMillis;
        this.readyTimeoutMillis = readyTimeoutMillis;
    }

    /** A stream on a ready connection with room, bound to {@code listener}; null when none has room. */
    UpstreamStream lease(Backend backend, UpstreamListener listener) {
        Http2UpstreamStream stream = streamOnReadyConnection(backend);
        if (stream != null) {
            stream.bind(listener);
        }
        return stream;
    }

    private Http2UpstreamStream streamOnReadyConnection(Backend backend) {
        List<Http2UpstreamConnection> connections = byBackend.get().get(backend);
        if (connections == null) {
            return null;
        }
        for (Http2UpstreamConnection connection : connections) {
            if (connection.hasRoom()) {
                Http2UpstreamStream stream = connection.openStream();
                if (stream != null) {
                    return stream;
                }
            }
        }
        return null;
    }

    /** Whether a connection being opened to {@code backend} on this loop can promise one more stream. */
    boolean pendingHasRoom(Backend backend) {
        List<Http2UpstreamConnection> connections = byBackend.get().get(backend);
        if (connections != null) {
            for (Http2UpstreamConnection connection : connections) {
                if (connection.pendingWithRoom()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A stream over a connection being opened, or a new one; unbound. */
    Future<UpstreamStream> connect(PoolTransport transport, ResilienceConfig resilience, Backend backend, EventLoop loop) {
        Promise<UpstreamStream> promise = loop.newPromise();
        Http2UpstreamStream ready = streamOnReadyConnection(backend);
        if (ready != null) {
            promise.setSuccess(ready);
            return promise;
        }
        List<Http2UpstreamConnection> connections = byBackend.get().computeIfAbsent(backend, b -> new ArrayList<>(2));
        for (Http2UpstreamConnection connection : connections) {
            if (connection.pendingWithRoom()) {
                connection.await(promise);
                return promise;
            }
        }
        open(transport, resilience, backend, loop).await(promise);
        return promise;
    }

    private Http2UpstreamConnection open(PoolTransport transport, ResilienceConfig resilience, Backend backend,
            EventLoop loop) {
        Http2UpstreamConnection connection = new Http2UpstreamConnection(this, transport, backend, resilience);
        Future<Channel> opened = channels.open(transport, backend, loop, ch -> ch.pipeline()
                .addLast(PipelineNames.IDLE, new IdleTimeout(idleMillis.getAsLong(), TimeUnit.MILLISECONDS))
                .addLast(PipelineNames.H2, Http2FrameCodecBuilder.forClient()
                        .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                                .maxHeaderListSize(UpstreamConnector.MAX_RESPONSE_HEADERS))
                        // A backend that lowers its limit later queues new streams instead of refusing them.
                        .encoderEnforceMaxConcurrentStreams(true)
                        .build())
                .addLast(PipelineNames.H2_STREAMS, new Http2MultiplexHandler(NO_PUSHED_STREAMS))
                .addLast(PipelineNames.RELAY, connection));
        byBackend.get().computeIfAbsent(backend, b -> new ArrayList<>(2)).add(connection);
        // TCP and TLS are bounded by the connect timeout; the backend's SETTINGS must follow within it too.
        ScheduledFuture<?> readyTimer = loop.schedule(() -> {
            if (connection.opening()) {
                connection.failed(new ConnectTimeoutException("backend " + backend.address() + " not ready for HTTP/2 within "
                        + readyTimeoutMillis.getAsLong() + " ms"));
                closed(connection);
                opened.addListener(f -> {
                    if (f.isSuccess()) {
                        opened.getNow().close();
                    }
                });
            }
        }, readyTimeoutMillis.getAsLong(), TimeUnit.MILLISECONDS);
        opened.addListener(f -> {
            if (f.isSuccess()) {
                connection.connected();
            } else {
                readyTimer.cancel(false);
                connection.failed(f.cause());
                closed(connection);
            }
        });
        return connection;
    }

    /**
     * A waiter the backend's SETTINGS left without room on {@code full}: another connection with
     * room, or a new one while the pool's connection cap allows.
     */
    void redirect(Http2UpstreamConnection full, Promise<UpstreamStream> waiter) {
        Backend backend = full.backend();
        Http2UpstreamStream stream = streamOnReadyConnection(backend);
        if (stream != null) {
            if (!waiter.trySuccess(stream)) {
                stream.close();
            }
            return;
        }
        for (Http2UpstreamConnection connection : byBackend.get().getOrDefault(backend, List.of())) {
            if (connection.pendingWithRoom()) {
                connection.await(waiter);
                return;
            }
        }
        if (full.resilience().roomFor(backend.openConnections(), backend.pendingConnects())) {
            open(full.transport(), full.resilience(), backend, full.loop()).await(waiter);
            return;
        }
        waiter.tryFailure(new UpstreamException(UpstreamException.Kind.NO_STREAM_ROOM,
                "every HTTP/2 connection to " + backend + " is at its stream limit"));
    }

    void closed(Http2UpstreamConnection connection) {
        List<Http2UpstreamConnection> connections = byBackend.get().get(connection.backend());
        if (connections != null) {
            connections.remove(connection);
            if (connections.isEmpty()) {
                byBackend.get().remove(connection.backend());
            }
        }
    }

    /** The backend keeps no connections: those without streams close, the others once their streams end. */
    void closeIdle(Backend backend) {
        List<Http2UpstreamConnection> connections = byBackend.get().get(backend);
        if (connections != null) {
            List.copyOf(connections).forEach(Http2UpstreamConnection::drain);
        }
    }

    /** Server push is off (SETTINGS_ENABLE_PUSH 0); a stream the backend opens anyway is closed. */
    @ChannelHandler.Sharable
    private static final class NoPushedStreams extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().close();
        }
    }
}
