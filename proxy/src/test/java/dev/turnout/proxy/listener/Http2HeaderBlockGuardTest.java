package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Http2HeaderBlockGuardTest {

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new Http2HeaderBlockGuard(TimeUnit.SECONDS.toNanos(10)));
    }

    private static byte[] frame(int type, int flags, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(payload.length >> 16);
        out.write(payload.length >> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.writeBytes(new byte[] {0, 0, 0, 1});
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /** Sends {@code bytes} in pieces of {@code piece} bytes, as TCP may cut them; the bytes pass through unchanged. */
    private void send(byte[] bytes, int piece) {
        for (int at = 0; at < bytes.length; at += piece) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, at, Math.min(piece, bytes.length - at)));
        }
        for (ByteBuf passed; (passed = channel.readInbound()) != null; ) {
            passed.release();
        }
    }

    private void advance(long seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aHeaderBlockStillOpenAfterTheHeaderReadTimeoutClosesTheConnection() {
        send(PREFACE, 7);
        send(frame(0x1, 0, new byte[] {1, 2, 3}), 2); // HEADERS without END_HEADERS
        advance(5);
        send(frame(0x9, 0, new byte[] {4}), 3); // a CONTINUATION that does not end it either
        assertTrue(channel.isActive());
        advance(5);
        assertFalse(channel.isActive(), "10 s after the block began");
    }

    @Test
    void aBlockThatEndsKeepsTheConnection() {
        send(PREFACE, 24);
        send(frame(0x1, 0, new byte[] {1, 2, 3}), 100);
        send(frame(0x9, 0x4, new byte[] {4}), 1); // END_HEADERS, one byte at a time
        advance(60);
        assertTrue(channel.isActive());
    }

    @Test
    void framePayloadsThatLookLikeFrameHeadersAreSkipped() {
        send(PREFACE, 24);
        // A DATA payload holding the bytes of an unfinished HEADERS frame header.
        byte[] lookalike = frame(0x1, 0, new byte[0]);
        send(frame(0x0, 0, lookalike), 5);
        advance(60);
        assertTrue(channel.isActive());
    }
}
