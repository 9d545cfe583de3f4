package dev.turnout.proxy.listener;

import dev.turnout.proxy.config.ClientLimits;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * The server side of an HTTP/2 connection with its limits set, and each connection it ends for
 * abuse counted by kind. The limits, and what a client meets at each:
 * <ul>
 * <li>{@code SETTINGS_MAX_CONCURRENT_STREAMS} from {@code limits.http2.max-concurrent-streams}: a stream
 *     beyond it is refused ({@code RST_STREAM REFUSED_STREAM});</li>
 * <li>{@code SETTINGS_MAX_HEADER_LIST_SIZE} from {@code limits.header-size}: a larger request head gets
 *     431, one far larger ends the connection;</li>
 * <li>more than {@value #MAX_RESETS} streams reset by the client within {@value #RESET_WINDOW_SECONDS} s
 *     (rapid reset), more than {@value #MAX_EMPTY_DATA} empty DATA frames in a row, more than
 *     {@value #MAX_SMALL_CONTINUATIONS} small CONTINUATION frames in a header block, or more than
 *     {@value #MAX_QUEUED_CONTROL_FRAMES} control frames waiting for a client that does not read:
 *     GOAWAY with {@code ENHANCE_YOUR_CALM} and the connection closed.</li>
 * </ul>
 * A close (idle, shutdown) is graceful: GOAWAY, then the streams open go on to their end.
 */
final class GuardedHttp2FrameCodec extends Http2FrameCodec {

    static final int MAX_RESETS = 200;
    static final int RESET_WINDOW_SECONDS = 30;
    static final int MAX_EMPTY_DATA = 2;
    static final int MAX_SMALL_CONTINUATIONS = 16;
    static final int MAX_QUEUED_CONTROL_FRAMES = 1000;

    private final Http2Abuse abuse;

    private GuardedHttp2FrameCodec(Http2ConnectionEncoder encoder, Http2ConnectionDecoder decoder, Http2Settings settings,
            boolean decoupleCloseAndGoAway, boolean flushPreface, Http2Abuse abuse) {
        super(encoder, decoder, settings, decoupleCloseAndGoAway, flushPreface);
        this.abuse = abuse;
    }

    static Http2FrameCodec forServer(ClientLimits limits, Http2Abuse abuse) {
        return new Builder(abuse)
                .initialSettings(Http2Settings.defaultSettings()
                        .maxHeaderListSize(limits.headerSize())
                        .maxConcurrentStreams(limits.http2Streams())
                        .initialWindowSize(limits.http2Window()))
                .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS)
                .decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_EMPTY_DATA)
                .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATIONS)
                .encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES)
                // Streams open at a close finish first; shutdown's grace bounds the wait.
                .gracefulShutdownTimeoutMillis(-1)
                .build();
    }

    @Override
    protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause, Http2Exception error) {
        if (ctx.channel().isActive()) {
            abuse.count(Http2Abuse.of(error));
        }
        super.onConnectionError(ctx, outbound, cause, error);
    }

    private static final class Builder extends Http2FrameCodecBuilder {

        private final Http2Abuse abuse;

        Builder(Http2Abuse abuse) {
            this.abuse = abuse;
            server(true);
        }

        @Override
        protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
            return new GuardedHttp2FrameCodec(encoder, decoder, settings, decoupleCloseAndGoAway(), flushPreface(), abuse);
        }
    }
}
