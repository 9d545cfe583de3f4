package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The connection and failure decisions an answer carries, each on its own. */
class ResponsePolicyTest {

    @Test
    void aConnectionStaysOnlyWhenAskedAllowedAndNoBodyIsLeftUnread() {
        assertTrue(ResponsePolicy.keepAlive(true, true, true, true));
        assertTrue(ResponsePolicy.keepAlive(true, true, false, false), "a bodiless request is complete in effect");
        assertFalse(ResponsePolicy.keepAlive(false, true, true, false), "the client said close");
        assertFalse(ResponsePolicy.keepAlive(true, false, true, false), "the connection is closing");
        assertFalse(ResponsePolicy.keepAlive(true, true, false, true), "an unread body stands before the next request");
    }

    @Test
    void theConnectionHeaderSaysCloseOrKeepAliveToHttp10() {
        HttpHeaders closing = new DefaultHttpHeaders();
        ResponsePolicy.markConnection(closing, false, false);
        assertEquals("close", closing.get(HttpHeaderNames.CONNECTION));

        HttpHeaders http10 = new DefaultHttpHeaders();
        ResponsePolicy.markConnection(http10, true, true);
        assertEquals("keep-alive", http10.get(HttpHeaderNames.CONNECTION));

        HttpHeaders http11 = new DefaultHttpHeaders();
        ResponsePolicy.markConnection(http11, true, false);
        assertNull(http11.get(HttpHeaderNames.CONNECTION), "HTTP/1.1 keeps the connection unasked");
    }

    @Test
    void aRelayedHeadLosesHopByHopHeadersAndSpeaksHttp11() {
        HttpResponse head = answer(HttpResponseStatus.OK);
        head.setProtocolVersion(HttpVersion.HTTP_1_0);
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, 3).set(HttpHeaderNames.CONNECTION, "keep-alive, x-private")
                .set("x-private", "1").set(HttpHeaderNames.KEEP_ALIVE, "timeout=5").set("x-kept", "1");

        assertTrue(ResponsePolicy.shapeRelayedHead(head, HttpMethod.GET, true, false));
        assertEquals(HttpVersion.HTTP_1_1, head.protocolVersion());
        assertFalse(head.headers().contains("x-private"));
        assertFalse(head.headers().contains(HttpHeaderNames.KEEP_ALIVE));
        assertFalse(head.headers().contains(HttpHeaderNames.CONNECTION));
        assertEquals("1", head.headers().get("x-kept"));
        assertEquals("3", head.headers().get(HttpHeaderNames.CONTENT_LENGTH));
    }

    @Test
    void aBodyWithoutLengthIsChunkedForHttp11AndEndsTheConnectionForHttp10() {
        HttpResponse toHttp11 = answer(HttpResponseStatus.OK);
        assertTrue(ResponsePolicy.shapeRelayedHead(toHttp11, HttpMethod.GET, true, false));
        assertEquals("chunked", toHttp11.headers().get(HttpHeaderNames.TRANSFER_ENCODING));

        HttpResponse toHttp10 = answer(HttpResponseStatus.OK);
        toHttp10.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        assertFalse(ResponsePolicy.shapeRelayedHead(toHttp10, HttpMethod.GET, true, true), "read to the close");
        assertFalse(toHttp10.headers().contains(HttpHeaderNames.TRANSFER_ENCODING));
        assertEquals("close", toHttp10.headers().get(HttpHeaderNames.CONNECTION));
    }

    @Test
    void bodilessAnswersKeepTheirFraming() {
        HttpResponse head = answer(HttpResponseStatus.OK);
        assertTrue(ResponsePolicy.shapeRelayedHead(head, HttpMethod.HEAD, true, true));
        assertEquals("keep-alive", head.headers().get(HttpHeaderNames.CONNECTION));
        for (HttpResponseStatus status : List.of(HttpResponseStatus.NO_CONTENT, HttpResponseStatus.NOT_MODIFIED)) {
            HttpResponse empty = answer(status);
            assertTrue(ResponsePolicy.shapeRelayedHead(empty, HttpMethod.GET, true, false));
            assertFalse(empty.headers().contains(HttpHeaderNames.TRANSFER_ENCODING), status.toString());
        }
    }

    @Test
    void fiveHundredsCountAgainstTheBackend() {
        assertFalse(ResponsePolicy.isBackendFailure(404));
        assertFalse(ResponsePolicy.isBackendFailure(499));
        assertTrue(ResponsePolicy.isBackendFailure(500));
        assertTrue(ResponsePolicy.isBackendFailure(503));
    }

    @Test
    void onlyASingleChunkedCodingIsSpoken() {
        assertTrue(ResponsePolicy.onlyChunked(new DefaultHttpHeaders()));
        assertTrue(ResponsePolicy.onlyChunked(new DefaultHttpHeaders().add(HttpHeaderNames.TRANSFER_ENCODING, "Chunked")));
        assertFalse(ResponsePolicy.onlyChunked(new DefaultHttpHeaders().add(HttpHeaderNames.TRANSFER_ENCODING, "gzip, chunked")));
        assertFalse(ResponsePolicy.onlyChunked(new DefaultHttpHeaders()
                .add(HttpHeaderNames.TRANSFER_ENCODING, "chunked").add(HttpHeaderNames.TRANSFER_ENCODING, "chunked")));
    }

    private static HttpResponse answer(HttpResponseStatus status) {
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
    }
}
