package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.http.HeadFields;
import dev.turnout.proxy.http.HeadSyntax;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The answer side of an HTTP/1.1 connection in an {@link EmbeddedChannel}: the exact bytes it writes. */
class Http1ResponseEncoderTest {

    private Http1ResponseEncoder encoder;
    private EmbeddedChannel channel;

    @BeforeEach
    void start() {
        encoder = new Http1ResponseEncoder();
        channel = new EmbeddedChannel(encoder);
    }

    @AfterEach
    void finish() {
        channel.finishAndReleaseAll();
    }

    /** Writes and flushes {@code msg}; its write must succeed. */
    private void write(Object msg) {
        ChannelFuture written = channel.writeOneOutbound(msg);
        channel.flushOutbound();
        assertTrue(written.isSuccess(), String.valueOf(written.cause()));
    }

    private String output() {
        StringBuilder out = new StringBuilder();
        for (ByteBuf bytes; (bytes = channel.readOutbound()) != null; bytes.release()) {
            out.append(bytes.toString(StandardCharsets.ISO_8859_1));
        }
        return out.toString();
    }

    private static ByteBuf text(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    }

    private static HttpResponse response(HttpResponseStatus status, String... fields) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        for (int i = 0; i < fields.length; i += 2) {
            response.headers().add(fields[i], fields[i + 1]);
        }
        return response;
    }

    private static LastHttpContent last(String content, String... trailers) {
        LastHttpContent last = new DefaultLastHttpContent(text(content));
        for (int i = 0; i < trailers.length; i += 2) {
            last.trailingHeaders().add(trailers[i], trailers[i + 1]);
        }
        return last;
    }

    @Test
    void chunkedFramingBytesAreExact() {
        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.OK, "Transfer-Encoding", "chunked", "X-A", "1"));
        write(new DefaultHttpContent(text("hello")));
        write(new DefaultHttpContent(Unpooled.EMPTY_BUFFER));
        write(new DefaultHttpContent(text("0123456789abcdefX")));
        write(last("end", "X-Sum", "9", "X-Two", "t"));
        assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
                + "5\r\nhello\r\n11\r\n0123456789abcdefX\r\n3\r\nend\r\n0\r\nX-Sum: 9\r\nX-Two: t\r\n\r\n", output());

        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.OK, "Transfer-Encoding", "gzip, Chunked"));
        write(new DefaultHttpContent(text("a")));
        write(LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", output());

        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.OK, "Transfer-Encoding", "chunked"));
        write(last("end"));
        assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nend\r\n0\r\n\r\n", output());

        encoder.requested(HttpMethod.GET);
        DefaultFullHttpResponse whole = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, text("hello"));
        whole.headers().set("Transfer-Encoding", "chunked");
        whole.trailingHeaders().set("T", "1");
        write(whole);
        assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nT: 1\r\n\r\n", output());
    }

    @Test
    void aBodyOfKnownLengthPassesThroughUncopied() {
        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.OK, "Content-Length", "5"));
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", output());
        ByteBuf data = text("hello");
        write(new DefaultHttpContent(data));
        ByteBuf out = channel.readOutbound();
        assertSame(data, out, "the content's own buffer");
        assertEquals(1, out.refCnt());
        out.release();
        write(LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("", output());
    }

    @Test
    void anAnswerToHeadDropsItsBodyAndWritesNoLastChunk() {
        encoder.requested(HttpMethod.HEAD);
        write(response(HttpResponseStatus.OK, "Transfer-Encoding", "chunked"));
        write(new DefaultHttpContent(text("hello")));
        write(last("tail", "X-Sum", "1"));
        assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", output());

        encoder.requested(HttpMethod.HEAD);
        DefaultFullHttpResponse whole = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, text("hello"));
        whole.headers().setInt("Content-Length", 5);
        write(whole);
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", output());

        // The next answer, to a GET, has its body again.
        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.OK, "Content-Length", "2"));
        write(last("ok"));
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", output());
    }

    @Test
    void answersWithoutABodyLoseItsFields() {
        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.NO_CONTENT, "Content-Length", "10", "X", "y", "Transfer-Encoding", "chunked"));
        write(last("0123456789"));
        assertEquals("HTTP/1.1 204 No Content\r\nX: y\r\n\r\n", output());

        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.RESET_CONTENT, "Transfer-Encoding", "chunked", "X", "y"));
        write(last("body"));
        assertEquals("HTTP/1.1 205 Reset Content\r\nX: y\r\ncontent-length: 0\r\n\r\n", output());

        // A 304 keeps the length of the body it stands for, and sends none.
        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.NOT_MODIFIED, "Content-Length", "10", "ETag", "\"e\""));
        write(last("0123456789"));
        assertEquals("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"e\"\r\n\r\n", output());
    }

    @Test
    void anInterimAnswerDoesNotConsumeTheRequestsMethod() {
        encoder.requested(HttpMethod.HEAD);
        encoder.requested(HttpMethod.GET);
        write(response(HttpResponseStatus.CONTINUE, "Content-Length", "3"));
        write(LastHttpContent.EMPTY_LAST_CONTENT);
        DefaultFullHttpResponse hints = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(103),
                text("ignored"));
        hints.headers().add("Link", "</a.css>; rel=preload");
        write(hints);
        write(response(HttpResponseStatus.OK, "Content-Length", "5"));
        write(last("hello"));
        write(response(HttpResponseStatus.CONTINUE));
        write(response(HttpResponseStatus.OK, "Content-Length", "5"));
        write(last("world"));
        assertEquals("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                + "HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nworld", output());
    }

    @Test
    void fieldsDecodedFromABackendAreCopiedByteForByte() {
        String head = "HTTP/1.1 200 OK\r\nx-RAW:  caf\u00e9 \r\nContent-Length: 2\r\nFolded: a\r\n b\r\n\r\n";
        byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
        HeadSyntax syntax = HeadSyntax.forResponses();
        ByteBuf buffer = Unpooled.wrappedBuffer(bytes);
        assertEquals(HeadSyntax.COMPLETE, syntax.feed(buffer));
        buffer.release();
        HeadFields fields = new HeadFields(bytes, syntax.takeSpans(), syntax.fields(), syntax.folded());
        encoder.requested(HttpMethod.GET);
        write(new DefaultHttpResponse(HttpVersion.HTTP_1_0, new HttpResponseStatus(299, "Odd Reason"), fields));
        write(last("ok"));
        assertEquals("HTTP/1.0 299 Odd Reason\r\nx-RAW: caf\u00e9\r\nContent-Length: 2\r\nFolded: a b\r\n\r\nok", output());
    }

    @Test
    void rawBytesPassThroughUntouched() {
        ByteBuf raw = text("HTTP/1.1 408 Request Timeout\r\n\r\n");
        write(raw);
        ByteBuf out = channel.readOutbound();
        assertSame(raw, out);
        out.release();
        // Raw bytes do not answer a request: the next answer is still the HEAD's.
        encoder.requested(HttpMethod.HEAD);
        write(text("tunnel"));
        write(response(HttpResponseStatus.OK, "Content-Length", "2"));
        write(last("ok"));
        assertEquals("tunnelHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", output());
    }
}
