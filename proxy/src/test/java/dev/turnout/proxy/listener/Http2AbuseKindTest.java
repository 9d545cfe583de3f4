package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import org.junit.jupiter.api.Test;

/** The kinds of Netty's connection errors, read from the messages of the Netty version in use. */
class Http2AbuseKindTest {

    private static Http2Abuse.Kind kind(String message) {
        return Http2Abuse.of(Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, message));
    }

    @Test
    void eachOfNettysLimitsHasItsKind() {
        assertEquals(Http2Abuse.Kind.RAPID_RESET, kind("Maximum number of RST frames reached"));
        assertEquals(Http2Abuse.Kind.EMPTY_DATA_FLOOD,
                kind("Maximum number 2 of empty data frames without end_of_stream flag received"));
        assertEquals(Http2Abuse.Kind.CONTROL_FRAME_FLOOD, kind("Maximum number 1000 of outstanding control frames reached"));
        assertEquals(Http2Abuse.Kind.HEADER_LIST_TOO_LARGE, kind("Header size exceeded max allowed size (16384)"));
        assertEquals(Http2Abuse.Kind.PROTOCOL_ERROR, kind("Received frame of type 9 while processing headers"));
        assertEquals("rapid-reset", Http2Abuse.Kind.RAPID_RESET.label());
    }

    @Test
    void countsAddUpByKind() {
        Http2Abuse abuse = new Http2Abuse();
        abuse.count(Http2Abuse.Kind.PING_FLOOD);
        abuse.count(Http2Abuse.Kind.PING_FLOOD);
        assertEquals(2, abuse.total(Http2Abuse.Kind.PING_FLOOD));
        assertEquals(0, abuse.total(Http2Abuse.Kind.RAPID_RESET));
    }
}
