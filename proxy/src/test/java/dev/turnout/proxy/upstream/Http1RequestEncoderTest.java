package dev.turnout.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.turnout.proxy.http.HeadFields;
import dev.turnout.proxy.http.HeadSyntax;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Requests as a backend receives them: one head buffer, bodies as they are or chunked, bytes untouched. */
class Http1RequestEncoderTest {

    private final Http1ResponseDecoder decoder = new Http1ResponseDecoder(8192, 32 * 1024);
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder, new Http1RequestEncoder(decoder));

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    private static ByteBuf text(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    }

    /** Everything written since the last call, as text; every buffer released. */
    private String wire() {
        StringBuilder all = new StringBuilder();
        Object written;
        while ((written = channel.readOutbound()) != null) {
            all.append(((ByteBuf) written).toString(StandardCharsets.ISO_8859_1));
            ReferenceCountUtil.release(written);
        }
        return all.toString();
    }

    @Test
    void theHeadIsWrittenInOneBuffer() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a?b=c");
        request.headers().add("Host", "a.test").add("X-Two", "1").add("X-Two", "2");
        channel.writeOutbound(request);
        ByteBuf head = channel.readOutbound();
        try {
            assertEquals("GET /a?b=c HTTP/1.1\r\nHost: a.test\r\nX-Two: 1\r\nX-Two: 2\r\n\r\n",
                    head.toString(StandardCharsets.ISO_8859_1));
        } finally {
            head.release();
        }
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("", wire());
    }

    /** The fields of a client's request head, decoded as the client side decodes them. */
    private static HeadFields clientFields(String head) {
        byte[] raw = head.getBytes(StandardCharsets.ISO_8859_1);
        HeadSyntax syntax = HeadSyntax.forRequests();
        assertEquals(HeadSyntax.COMPLETE, syntax.feed(Unpooled.wrappedBuffer(raw)));
        return new HeadFields(raw, syntax.takeSpans(), syntax.fields(), false);
    }

    @Test
    void aClientsFieldsAreCopiedByteForByte() {
        HeadFields fields = clientFields("GET / HTTP/1.1\r\nhOsT:a.test\r\nx-odd:  \u00e9t\u00e9 \r\n\r\n");
        fields.add("X-Forwarded-For", "192.0.2.1");
        channel.writeOutbound(new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.valueOf("PURGE"), "", fields),
                LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("PURGE / HTTP/1.0\r\nhOsT: a.test\r\nx-odd: \u00e9t\u00e9\r\nX-Forwarded-For: 192.0.2.1\r\n\r\n", wire());
    }

    @Test
    void aRewrittenTargetOutsideAsciiGoesAsUtf8() {
        HeadFields fields = clientFields("GET /old HTTP/1.1\r\nHost: a.test\r\n\r\n");
        channel.writeOutbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/caf\u00e9", fields),
                LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("GET /caf\u00c3\u00a9 HTTP/1.1\r\nHost: a.test\r\n\r\n", wire());
    }

    @Test
    void aSizedBodyPassesThroughInItsOwnBuffers() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/p");
        request.headers().set("Content-Length", "11");
        channel.writeOutbound(request);
        wire();
        ByteBuf part = text("hello ");
        ByteBuf rest = text("world");
        channel.writeOutbound(new DefaultHttpContent(part), new DefaultLastHttpContent(rest));
        ByteBuf first = channel.readOutbound();
        ByteBuf second = channel.readOutbound();
        assertSame(part, first, "not copied");
        assertSame(rest, second);
        first.release();
        second.release();
        assertEquals(0, part.refCnt());
    }

    @Test
    void aChunkedBodyIsFramedWithItsTrailers() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/c");
        request.headers().set("Transfer-Encoding", "chunked");
        LastHttpContent last = new DefaultLastHttpContent(text("!"));
        last.trailingHeaders().set("X-Sum", "42");
        ByteBuf big = text("x".repeat(300));
        channel.writeOutbound(request, new DefaultHttpContent(text("hello")), new DefaultHttpContent(Unpooled.EMPTY_BUFFER),
                new DefaultHttpContent(big), last);
        assertEquals("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n12c\r\n" + "x".repeat(300)
                + "\r\n1\r\n!\r\n0\r\nX-Sum: 42\r\n\r\n", wire());
        assertEquals(0, big.refCnt());
        channel.writeOutbound(request.setUri("/d"), new DefaultLastHttpContent(text("ab")));
        assertEquals("POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", wire());
        channel.writeOutbound(request.setUri("/e"), LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wire());
    }

    @Test
    void aWholeRequestIsHeadThenBody() {
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, "/w", text("body"));
        request.headers().set("Content-Length", "4");
        channel.writeOutbound(request);
        assertEquals("PUT /w HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody", wire());
        assertEquals(0, request.refCnt());
    }

    @Test
    void bytesPassThroughUntouched() {
        ByteBuf frame = text("\u0081\u0002hi");
        channel.writeOutbound(frame);
        ByteBuf written = channel.readOutbound();
        assertSame(frame, written);
        written.release();
    }

    @Test
    void theDecoderLearnsEachRequestsMethod() {
        channel.writeOutbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.HEAD, "/h"),
                LastHttpContent.EMPTY_LAST_CONTENT, new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/g"),
                LastHttpContent.EMPTY_LAST_CONTENT);
        wire();
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"));
        HttpResponse toHead = channel.readInbound();
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, channel.readInbound(), "the answer to HEAD has no body");
        HttpResponse toGet = channel.readInbound();
        LastHttpContent body = channel.readInbound();
        assertEquals(200, toHead.status().code());
        assertEquals(200, toGet.status().code());
        assertEquals("abc", body.content().toString(StandardCharsets.ISO_8859_1));
        body.release();
    }
}
