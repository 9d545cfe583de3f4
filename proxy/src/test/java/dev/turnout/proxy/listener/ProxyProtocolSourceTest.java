package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.ProxyProtocolHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The PROXY header read off the front of a connection: its source kept, the rest passed on, a bad one closing. */
class ProxyProtocolSourceTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder(), new ProxyProtocolSource());

    @AfterEach
    void finish() {
        channel.finishAndReleaseAll();
    }

    private String passedOn() {
        StringBuilder text = new StringBuilder();
        ByteBuf piece;
        while ((piece = channel.readInbound()) != null) {
            text.append(piece.toString(StandardCharsets.US_ASCII));
            piece.release();
        }
        return text.toString();
    }

    @Test
    void aV1HeaderNamesTheClientAndTheBytesAfterItPassOn() {
        channel.writeInbound(Unpooled.wrappedBuffer(ProxyProtocolHeaders.then(
                ProxyProtocolHeaders.v1("203.0.113.7", "192.0.2.1", 56324, 443), "GET / HTTP/1.1\r\n")));
        assertEquals("203.0.113.7", ProxyProtocolSource.clientOf(channel));
        assertEquals("GET / HTTP/1.1\r\n", passedOn());
        assertNull(channel.pipeline().get(ProxyProtocolSource.class), "the handler left the pipeline");
        assertNull(channel.pipeline().get(HAProxyMessageDecoder.class), "and so did the decoder");
    }

    @Test
    void aV2HeaderArrivingInPiecesNamesAnIpv6Client() {
        byte[] header = ProxyProtocolHeaders.v2("2001:db8::7", "2001:db8::1", 40000, 80);
        channel.writeInbound(Unpooled.wrappedBuffer(header, 0, 10));
        assertNull(ProxyProtocolSource.clientOf(channel), "not yet");
        channel.writeInbound(Unpooled.wrappedBuffer(ProxyProtocolHeaders.then(java.util.Arrays.copyOfRange(header, 10,
                header.length), "hello")));
        assertTrue(ProxyProtocolSource.clientOf(channel).startsWith("2001:db8:"), ProxyProtocolSource.clientOf(channel));
        assertEquals("hello", passedOn());
    }

    @Test
    void aLocalHeaderNamesNoClient() {
        channel.writeInbound(Unpooled.wrappedBuffer(ProxyProtocolHeaders.then(ProxyProtocolHeaders.v2Local(), "x")));
        assertNull(ProxyProtocolSource.clientOf(channel));
        assertEquals("x", passedOn());
        assertTrue(channel.isOpen());
    }

    @Test
    void aConnectionWithoutAHeaderIsClosed() {
        channel.writeInbound(Unpooled.wrappedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(channel.isOpen());
        assertEquals("", passedOn(), "nothing reaches HTTP");
    }

    @Test
    void aMalformedV1HeaderIsClosed() {
        channel.writeInbound(Unpooled.wrappedBuffer("PROXY TCP4 203.0.113.7 nonsense\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(channel.isOpen());
        assertEquals("", passedOn());
    }
}
