package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.pool.RetryReason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** Every {@link ProxyFailure} as the bytes a client receives. */
class ProxyFailureTest {

    @Test
    void eachFailureEncodesAsAShortPlainTextAnswer() {
        Set<String> tags = new HashSet<>();
        for (ProxyFailure failure : ProxyFailure.values()) {
            for (boolean keepAlive : new boolean[] {true, false}) {
                String wire = encode(failure, keepAlive);
                String head = wire.substring(0, wire.indexOf("\r\n\r\n"));
                String body = wire.substring(wire.indexOf("\r\n\r\n") + 4);
                assertTrue(head.startsWith("HTTP/1.1 " + failure.statusCode() + " "), head);
                assertTrue(head.contains("content-type: text/plain"), head);
                assertTrue(head.contains("content-length: " + body.getBytes(StandardCharsets.US_ASCII).length), head);
                assertEquals(!keepAlive, head.contains("connection: close"), head);
                assertTrue(body.startsWith(failure.statusCode() + " "), body);
                assertTrue(body.endsWith("\n"), body);
            }
            assertTrue(tags.add(failure.tag()), "tags are unique: " + failure.tag());
            assertFalse(failure.tag().contains("_"), failure.tag());
        }
    }

    @Test
    void statusesFollowTheContract() {
        assertEquals(503, ProxyFailure.NO_ROUTE.statusCode());
        assertEquals(503, ProxyFailure.NO_BACKEND.statusCode());
        assertEquals(502, ProxyFailure.CONNECT_REFUSED.statusCode());
        assertEquals(502, ProxyFailure.RESET_BEFORE_RESPONSE.statusCode());
        assertEquals(502, ProxyFailure.BAD_RESPONSE.statusCode());
        assertEquals(504, ProxyFailure.CONNECT_TIMEOUT.statusCode());
        assertEquals(504, ProxyFailure.RESPONSE_TIMEOUT.statusCode());
        assertEquals(431, ProxyFailure.HEADERS_TOO_LARGE.statusCode());
        assertEquals(400, ProxyFailure.BAD_REQUEST.statusCode());
    }

    @Test
    void aConnectFailureIsClassifiedByItsCause() {
        assertEquals(ProxyFailure.CONNECT_TIMEOUT, ProxyFailure.connectFailure(new ConnectTimeoutException("slow")));
        assertEquals(ProxyFailure.CONNECT_TIMEOUT, ProxyFailure.connectFailure(new SslHandshakeTimeoutException("slow")),
                "a handshake that never ends is a slow backend, not a bad certificate");
        assertEquals(ProxyFailure.TLS_FAILED, ProxyFailure.connectFailure(new SSLHandshakeException("PKIX path building")));
        assertEquals(ProxyFailure.CONNECT_REFUSED, ProxyFailure.connectFailure(new ConnectException("refused")));
        assertEquals(RetryReason.TLS_FAILED, ProxyFailure.TLS_FAILED.retryReason(), "never reached: retried elsewhere");
        assertEquals(RetryReason.REFUSED_STREAM, ProxyFailure.STREAM_REFUSED.retryReason());
        assertEquals(null, ProxyFailure.DEADLINE_EXCEEDED.retryReason(), "the call's time is up: no retry");
    }

    @Test
    void responsesCanBeSentRepeatedly() {
        // The body bytes are shared by every response of a kind: sending one must not consume them.
        String first = encode(ProxyFailure.NO_ROUTE, true);
        String second = encode(ProxyFailure.NO_ROUTE, true);
        assertEquals(first, second);
        assertTrue(second.endsWith("no route for this host and path\n"), second);
    }

    private static String encode(ProxyFailure failure, boolean keepAlive) {
        EmbeddedChannel channel = new EmbeddedChannel(new HttpResponseEncoder());
        try {
            assertTrue(channel.writeOutbound(failure.newResponse(keepAlive)));
            StringBuilder wire = new StringBuilder();
            for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound()) {
                wire.append(buf.toString(StandardCharsets.ISO_8859_1));
                buf.release();
            }
            return wire.toString().replaceAll("(?i)content-type", "content-type")
                    .replaceAll("(?i)content-length", "content-length")
                    .replaceAll("(?i)connection", "connection");
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
