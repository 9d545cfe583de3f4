package dev.turnout.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A backend connection's last handler as the exchange sees it: an {@link UpstreamStream}. */
class UpstreamStreamTest {

    private final Http1ResponseDecoder decoder = new Http1ResponseDecoder(8192, 32 * 1024);
    private final UpstreamHandler handler = new UpstreamHandler(decoder);
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder, new Http1RequestEncoder(decoder), handler);
    private final List<Object> received = new ArrayList<>();
    private int sendFailures;
    private int closes;

    @AfterEach
    void finish() {
        received.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    private final UpstreamListener listener = new UpstreamListener() {
        @Override
        public void onUpstreamMessage(Object msg) {
            received.add(msg);
        }

        @Override
        public void onUpstreamReadComplete() {
        }

        @Override
        public void onUpstreamWritabilityChanged(boolean writable) {
        }

        @Override
        public void onUpstreamClosed(Throwable cause) {
            closes++;
        }

        @Override
        public void onUpstreamSendFailed() {
            sendFailures++;
        }
    };

    @Test
    void theRequestIsWrittenThroughTheEncoderAndTheAnswerReachesTheBoundListener() {
        UpstreamStream stream = handler;
        handler.bind(listener);
        stream.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x"));
        stream.write(LastHttpContent.EMPTY_LAST_CONTENT);
        stream.flush();
        ByteBuf wire = channel.readOutbound();
        try {
            assertTrue(wire.toString(StandardCharsets.US_ASCII).startsWith("GET /x HTTP/1.1\r\n"));
        } finally {
            wire.release();
        }
        channel.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", StandardCharsets.US_ASCII));
        assertEquals(200, ((HttpResponse) received.get(0)).status().code());
        assertTrue(received.get(received.size() - 1) instanceof LastHttpContent);
    }

    @Test
    void readingPausesAndResumesForClientBackPressure() {
        UpstreamStream stream = handler;
        assertFalse(stream.readingPaused());
        stream.pauseReading(true);
        assertTrue(stream.readingPaused());
        assertFalse(channel.config().isAutoRead());
        stream.pauseReading(false);
        assertTrue(channel.config().isAutoRead());
        assertTrue(stream.isActive());
        assertTrue(stream.isWritable());
        assertSame(channel, stream.channel());
    }

    @Test
    void anUnboundConnectionThatSpeaksIsClosed() {
        channel.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", StandardCharsets.US_ASCII));
        assertFalse(handler.isActive(), "a pooled connection has nothing to say");
    }

    /**
     * A failed send that shut only the sending side (auto-close off: each queued write fails, then the shutdown event
     * comes) is heard once, drops what is written after it without holding the client back, and leaves the answer
     * readable; the connection is then out of step and never pooled.
     */
    @Test
    void aFailedSendLeavesTheAnswerReadable() {
        handler.bind(listener);
        handler.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload"));
        handler.flush();
        ReferenceCountUtil.release(channel.readOutbound());
        for (int i = 0; i < 3; i++) { // every write queued at the failure reports it
            channel.pipeline().fireExceptionCaught(new ChannelOutputShutdownException("Channel output shutdown"));
        }
        assertEquals(0, sendFailures, "the queued writes' failures are not the news: the shutdown event is");
        channel.pipeline().fireUserEventTriggered(ChannelOutputShutdownEvent.INSTANCE);
        assertEquals(1, sendFailures);
        assertTrue(handler.isWritable(), "nothing is left to hold the client back for");
        assertEquals(0, closes);
        assertTrue(channel.isActive());
        assertTrue(handler.outOfStep());

        ByteBuf body = Unpooled.copiedBuffer("rest of the body", StandardCharsets.US_ASCII);
        handler.write(new DefaultLastHttpContent(body));
        handler.flush();
        assertEquals(0, body.refCnt(), "a body part after the failure is released, not sent");
        assertNull(channel.readOutbound());

        channel.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n",
                StandardCharsets.US_ASCII));
        assertEquals(413, ((HttpResponse) received.get(0)).status().code());
    }

    @Test
    void aPooledConnectionWhoseSendFailedIsClosed() {
        channel.pipeline().fireUserEventTriggered(ChannelOutputShutdownEvent.INSTANCE);
        assertFalse(channel.isActive());
        assertEquals(0, sendFailures);
    }

    @Test
    void anyOtherFailureClosesTheConnectionAndTellsTheListener() {
        handler.bind(listener);
        channel.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        assertEquals(1, closes);
        assertEquals(0, sendFailures);
        assertFalse(channel.isActive());
    }
}
