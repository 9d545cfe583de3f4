package dev.turnout.proxy.listener;

import dev.turnout.proxy.compression.ResponseCompressor;
import dev.turnout.proxy.config.ClientLimits;
import dev.turnout.proxy.exchange.FrontendShared;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2LocalFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A client's HTTP/2 connection: Netty's connection handler, with its limits set, and the streams on
 * the connection's own pipeline, with no channel per stream. Each stream is an
 * {@link Http2ClientStream}, the {@code Downstream} of one exchange, found by its id. Request bodies
 * reach the exchange as the frames arrive; the flow-control window of a stream whose backend cannot
 * take more stays shut until it can, so a slow backend holds back only its own stream.
 *
 * <p>The limits, and what a client meets at each:
 * <ul>
 * <li>{@code SETTINGS_MAX_CONCURRENT_STREAMS} from {@code limits.http2.max-concurrent-streams}: a stream
 *     beyond it is refused ({@code RST_STREAM REFUSED_STREAM});</li>
 * <li>{@code SETTINGS_MAX_HEADER_LIST_SIZE} from {@code limits.header-size}: a larger request head gets
 *     431, one far larger ends the connection;</li>
 * <li>more than {@value #MAX_RESETS} streams reset by the client within {@value #RESET_WINDOW_SECONDS} s
 *     (rapid reset), more than {@value #MAX_EMPTY_DATA} empty DATA frames in a row, more than
 *     {@value #MAX_SMALL_CONTINUATIONS} small CONTINUATION frames in a header block, more than
 *     {@value #MAX_QUEUED_CONTROL_FRAMES} control frames waiting for a client that does not read, or more
 *     than {@value #MAX_CONTROL_FRAMES} PING or SETTINGS frames within {@value #CONTROL_WINDOW_SECONDS} s
 *     (each is answered, so a flood costs CPU even when the client reads the answers): GOAWAY with
 *     {@code ENHANCE_YOUR_CALM} and the connection closed.</li>
 * </ul>
 * Shutdown is graceful: GOAWAY, then the streams open go on to their end (the shutdown's grace bounds
 * them). An idle connection gets GOAWAY and is closed.
 */
final class Http2ServerConnection extends Http2ConnectionHandler {

    static final int MAX_RESETS = 200;
    static final int RESET_WINDOW_SECONDS = 30;
    static final int MAX_EMPTY_DATA = 2;
    static final int MAX_SMALL_CONTINUATIONS = 16;
    static final int MAX_QUEUED_CONTROL_FRAMES = 1000;
    static final int MAX_CONTROL_FRAMES = 1000;
    static final int CONTROL_WINDOW_SECONDS = 10;
    private static final long CONTROL_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(CONTROL_WINDOW_SECONDS);

    /** What every stream of the connection shares. */
    record StreamSettings(FrontendShared shared, boolean secure, long bodyReadNanos, long sendStallNanos,
            Supplier<ResponseCompressor> compressors) {
    }

    private final Http2Abuse abuse;
    private final StreamSettings settings;
    private final ClientAddress client;
    private final int connectionWindow;
    private final IntObjectMap<Http2ClientStream> streams = new IntObjectHashMap<>();
    // The objects of ended streams, for the next ones: no more than the most streams ever open at once.
    private final ArrayDeque<Http2ClientStream> idleStreams = new ArrayDeque<>();
    // Streams that relayed a request head or body in this read: their backend connections are flushed at its end.
    private final List<Http2ClientStream> readThisBatch = new ArrayList<>(4);
    // Made when a stream first answers without compression, to mark Vary: one per connection.
    private ResponseCompressor varyMarker;
    private final Runnable flushTask = this::flushNow;
    private boolean flushScheduled;
    private ChannelHandlerContext ctx;
    private long controlWindowStart = System.nanoTime();
    private int pings;
    private int settingsFrames;
    private boolean calmedDown;

    private Http2ServerConnection(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings initial,
            Http2Abuse abuse, StreamSettings settings, ClientAddress client, int connectionWindow) {
        super(decoder, encoder, initial, false, true);
        this.abuse = abuse;
        this.settings = settings;
        this.client = client;
        this.connectionWindow = connectionWindow;
        decoder.frameListener(new Frames());
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                Http2ClientStream closed = streams.remove(stream.id());
                if (closed != null) {
                    closed.closed();
                }
            }
        });
        encoder.flowController().listener(stream -> {
            Http2ClientStream writable = streams.get(stream.id());
            if (writable != null) {
                writable.writabilityChanged();
            }
        });
    }

    static Http2ServerConnection create(ClientLimits limits, Http2Abuse abuse, StreamSettings settings, ClientAddress client) {
        return new Builder(abuse, settings, client, limits).build();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx);
        openConnectionWindow();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx); // closes the open streams, which end their exchanges
        for (Http2ClientStream idle : idleStreams) {
            idle.connectionClosed();
        }
        idleStreams.clear();
    }

    /**
     * The connection's receive window starts at 64 KiB whatever the settings say; it is opened to the
     * configured size at once, so that streams sending bodies side by side do not wait on it.
     */
    private void openConnectionWindow() throws Http2Exception {
        Http2Stream connectionStream = connection().connectionStream();
        int more = connectionWindow - connection().local().flowController().windowSize(connectionStream);
        if (more > 0) {
            connection().local().flowController().incrementWindowSize(connectionStream, more);
        }
    }

    ChannelHandlerContext context() {
        return ctx;
    }

    StreamSettings settings() {
        return settings;
    }

    ClientAddress client() {
        return client;
    }

    /** The compressor that marks Vary on the answers a client gets uncompressed. */
    ResponseCompressor varyMarker() {
        if (varyMarker == null) {
            varyMarker = settings.compressors().get();
        }
        return varyMarker;
    }

    /** The stream relayed its request head or body: its backend connection is flushed at the end of this read. */
    void relayedBody(Http2ClientStream stream) {
        if (!readThisBatch.contains(stream)) {
            readThisBatch.add(stream);
        }
    }

    void recycle(Http2ClientStream ended) {
        if (ctx.channel().isActive()) {
            idleStreams.push(ended);
        } else {
            ended.connectionClosed();
        }
    }

    /** Bytes of a stream's body that its exchange has taken, given back to the client's window. */
    void consumed(Http2Stream stream, int bytes) {
        try {
            if (decoder().flowController().consumeBytes(stream, bytes)) {
                flushWrites();
            }
        } catch (Http2Exception e) {
            onError(ctx, true, e);
        }
    }

    void resetStream(int streamId, Http2Error error) {
        resetStream(ctx, streamId, error.code(), ctx.newPromise());
        flushWrites();
    }

    /**
     * Writes what the streams wrote (but the DATA frames their windows hold back) once the event loop has
     * handled every connection that was ready: streams whose answers end in the same turn of the loop, each
     * from its own backend connection, share one write to the client.
     */
    void flushWrites() {
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.executor().execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        flush(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        for (int i = 0; i < readThisBatch.size(); i++) {
            readThisBatch.get(i).flushUpstream();
        }
        readThisBatch.clear();
        super.channelReadComplete(ctx); // one flush for everything this read answered
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ShutdownRequested.INSTANCE) {
            ctx.channel().close(); // through this handler: GOAWAY, then the open streams finish
            return;
        }
        if (evt instanceof IdleStateEvent) {
            // Nothing moved for the idle timeout: GOAWAY, then closed under this handler, which would wait for streams.
            goAway(ctx, connection().remote().lastStreamCreated(), Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                    ctx.newPromise()).addListener(written -> ctx.pipeline().firstContext().close());
            ctx.flush();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause, Http2Exception error) {
        if (ctx.channel().isActive()) {
            abuse.count(Http2Abuse.of(error));
        }
        super.onConnectionError(ctx, outbound, cause, error);
    }

    private void countControlFrame(boolean ping) {
        long now = System.nanoTime();
        if (now - controlWindowStart > CONTROL_WINDOW_NANOS) {
            controlWindowStart = now;
            pings = 0;
            settingsFrames = 0;
        }
        int seen = ping ? ++pings : ++settingsFrames;
        if (seen > MAX_CONTROL_FRAMES && !calmedDown) {
            calmedDown = true;
            abuse.count(ping ? Http2Abuse.Kind.PING_FLOOD : Http2Abuse.Kind.SETTINGS_FLOOD);
            goAway(ctx, connection().remote().lastStreamCreated(), Http2Error.ENHANCE_YOUR_CALM.code(),
                    Unpooled.EMPTY_BUFFER, ctx.newPromise()).addListener(written -> ctx.channel().close());
            ctx.flush();
        }
    }

    /** The frames of the connection, each to its stream. */
    private final class Frames extends Http2FrameAdapter {

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                boolean endOfStream) {
            Http2ClientStream stream = streams.get(streamId);
            if (stream != null) {
                stream.trailers(headers);
                return;
            }
            Http2Stream opened = connection().stream(streamId);
            if (opened == null) {
                return; // already closed by an error the decoder answered
            }
            stream = idleStreams.poll();
            if (stream == null) {
                stream = new Http2ClientStream(Http2ServerConnection.this);
            }
            stream.open(opened);
            streams.put(streamId, stream);
            stream.begin(headers, endOfStream);
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                short weight, boolean exclusive, int padding, boolean endOfStream) {
            onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
            Http2ClientStream stream = streams.get(streamId);
            if (stream == null) {
                return data.readableBytes() + padding;
            }
            return stream.data(data, padding, endOfStream);
        }

        @Override
        public void onPingRead(ChannelHandlerContext ctx, long data) {
            countControlFrame(true);
        }

        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
            countControlFrame(false);
        }
    }

    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Http2ServerConnection, Builder> {

        private final Http2Abuse abuse;
        private final StreamSettings settings;
        private final ClientAddress client;
        private final int connectionWindow;

        Builder(Http2Abuse abuse, StreamSettings settings, ClientAddress client, ClientLimits limits) {
            this.abuse = abuse;
            this.settings = settings;
            this.client = client;
            this.connectionWindow = limits.http2ConnectionWindow();
            Http2Connection connection = new DefaultHttp2Connection(true);
            // The connection's window is given back as its frames are read: a stream whose backend is slow
            // keeps only its own window shut, never the other streams'.
            connection.local().flowController(new DefaultHttp2LocalFlowController(connection, 0.5f, true));
            connection(connection);
            initialSettings(Http2Settings.defaultSettings()
                    .maxHeaderListSize(limits.headerSize())
                    .maxConcurrentStreams(limits.http2Streams())
                    .initialWindowSize(limits.http2Window()));
            decoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS);
            decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_EMPTY_DATA);
            decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATIONS);
            encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES);
            // Streams open at a close finish first; shutdown's grace bounds the wait.
            gracefulShutdownTimeoutMillis(-1);
        }

        @Override
        protected Http2ServerConnection build() {
            return super.build();
        }

        @Override
        protected Http2ServerConnection build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                Http2Settings initial) {
            return new Http2ServerConnection(decoder, encoder, initial, abuse, settings, client, connectionWindow);
        }
    }
}
