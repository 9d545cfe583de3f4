package dev.turnout.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A backend connection's answers decoded: framing by RFC 9112 6.3, interim answers, broken heads, leftovers. */
class Http1ResponseDecoderTest {

    private static final String OK = "HTTP/1.1 200 OK\r\n";

    private final Http1ResponseDecoder decoder = new Http1ResponseDecoder(8192, 32 * 1024);
    private final List<Object> received = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private Consumer<Object> onMessage = msg -> { };
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder, new Http1RequestEncoder(decoder),
            new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    received.add(msg);
                    onMessage.accept(msg);
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    failures.add(cause);
                }
            });

    @AfterEach
    void release() {
        received.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    private void request(HttpMethod method) {
        channel.writeOutbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, "/"), LastHttpContent.EMPTY_LAST_CONTENT);
        Object wire;
        while ((wire = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(wire);
        }
    }

    private void answer(String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    private void answerByteByByte(String raw) {
        for (byte b : raw.getBytes(StandardCharsets.ISO_8859_1)) {
            channel.writeInbound(Unpooled.buffer(1).writeByte(b));
        }
    }

    private HttpResponse head(int index) {
        return assertInstanceOf(HttpResponse.class, received.get(index));
    }

    /** The body parts from {@code from} on: their text, and that the last one ends it well. */
    private String body(int from) {
        StringBuilder text = new StringBuilder();
        for (int i = from; i < received.size(); i++) {
            HttpContent part = assertInstanceOf(HttpContent.class, received.get(i));
            assertTrue(part.decoderResult().isSuccess());
            text.append(part.content().toString(StandardCharsets.ISO_8859_1));
            assertEquals(i == received.size() - 1, part instanceof LastHttpContent, "only the last part ends the body");
        }
        return text.toString();
    }

    @Test
    void aBodyOfContentLengthFollowsItsHead() {
        request(HttpMethod.GET);
        answer(OK + "Content-Length: 5\r\nX-A: b\r\n\r\nhello");
        HttpResponse head = head(0);
        assertSame(HttpResponseStatus.OK, head.status());
        assertEquals(HttpVersion.HTTP_1_1, head.protocolVersion());
        assertEquals("b", head.headers().get("x-a"));
        assertEquals("hello", body(1));
        assertFalse(decoder.hasLeftovers(), "an answer read to its end leaves nothing");
        assertTrue(failures.isEmpty());
    }

    @Test
    void theAnswerToHeadHasNoBodyWhateverItsFieldsSay() {
        request(HttpMethod.HEAD);
        answer(OK + "Content-Length: 5\r\n\r\n");
        assertEquals(2, received.size());
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, received.get(1));
        request(HttpMethod.GET);
        answer(OK + "Content-Length: 2\r\n\r\nok");
        assertEquals("ok", body(3));
        assertFalse(decoder.hasLeftovers());
    }

    @Test
    void interimAnswersEndAtTheirHeadAndTheFinalOneFollows() {
        request(HttpMethod.GET);
        answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\nContent-Length: 4\r\n\r\n"
                + OK + "Content-Length: 5\r\n\r\nfinal");
        assertEquals(100, head(0).status().code());
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, received.get(1));
        assertEquals(103, head(2).status().code());
        assertEquals("</a>", head(2).headers().get("link"));
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, received.get(3));
        assertEquals(200, head(4).status().code());
        assertEquals("final", body(5));
        assertFalse(decoder.hasLeftovers());
    }

    @Test
    void noContentAndNotModifiedHaveNoBodyAndWhatFollowsIsALeftover() {
        request(HttpMethod.GET);
        answer("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, received.get(1));
        assertFalse(decoder.hasLeftovers());
        request(HttpMethod.GET);
        boolean[] leftoverAtTheEnd = new boolean[1];
        onMessage = msg -> leftoverAtTheEnd[0] |= msg instanceof LastHttpContent && decoder.hasLeftovers();
        answer("HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\nEVIL");
        assertEquals(204, head(2).status().code());
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, received.get(3));
        assertTrue(leftoverAtTheEnd[0], "the bytes after the 204 are seen as the answer ends");
        assertEquals(4, received.size(), "nothing of the 204's 'body' is passed on");
        assertEquals(1, failures.size(), "bytes no request asked for break the connection");
        assertTrue(decoder.hasLeftovers());
    }

    @Test
    void aChunkedBodyEndsWithItsTrailers() {
        request(HttpMethod.GET);
        answer(OK + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n");
        assertEquals("hello world", body(1));
        LastHttpContent last = (LastHttpContent) received.get(received.size() - 1);
        assertEquals("42", last.trailingHeaders().get("x-sum"));
        assertFalse(decoder.hasLeftovers());
    }

    @Test
    void aBrokenChunkFramingFailsTheBodyAndTheConnection() {
        request(HttpMethod.GET);
        answer(OK + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello!!\r\n0\r\n\r\n");
        LastHttpContent last = (LastHttpContent) received.get(received.size() - 1);
        assertTrue(last.decoderResult().isFailure());
        assertTrue(decoder.hasLeftovers());
        answer(OK + "Content-Length: 0\r\n\r\n");
        assertEquals(last, received.get(received.size() - 1), "nothing more is decoded");
    }

    @Test
    void withoutALengthTheBodyEndsWithTheConnection() {
        request(HttpMethod.GET);
        answer("HTTP/1.0 200 OK\r\n\r\nfirst ");
        answer("and last");
        assertEquals(HttpVersion.HTTP_1_0, head(0).protocolVersion());
        assertFalse(received.get(received.size() - 1) instanceof LastHttpContent);
        channel.close();
        assertEquals("first and last", body(1));
        assertTrue(failures.isEmpty());
    }

    @Test
    void aCodingOtherThanChunkedLastEndsWithTheConnection() {
        request(HttpMethod.GET);
        answer(OK + "Transfer-Encoding: gzip\r\n\r\nxyz");
        channel.close();
        assertEquals("xyz", body(1));
    }

    @Test
    void aBodyCutShortByTheCloseNeverEnds() {
        request(HttpMethod.GET);
        answer(OK + "Content-Length: 10\r\n\r\nfinal");
        channel.close();
        assertEquals(2, received.size());
        assertFalse(received.get(1) instanceof LastHttpContent);
        assertTrue(failures.isEmpty(), "the close itself tells the exchange");
    }

    @Test
    void aCloseInTheMiddleOfAHeadIsABrokenAnswer() {
        request(HttpMethod.GET);
        answer(OK + "Content-Le");
        channel.close();
        assertTrue(received.isEmpty());
        assertInstanceOf(Http1ResponseDecoder.MalformedResponse.class, failures.get(0));
    }

    @Test
    void obsFoldIsUnfoldedAndSpaceBeforeAColonDropped() {
        request(HttpMethod.GET);
        answer(OK + "X-A: one  \r\n  two\r\n\tthree\r\nX-B:\r\n b\r\nContent-Length : 2\r\n\r\nok");
        HttpResponse head = head(0);
        assertEquals("one two three", head.headers().get("x-a"));
        assertEquals("b", head.headers().get("x-b"));
        assertEquals("2", head.headers().get("content-length"));
        assertEquals("ok", body(1));
    }

    @Test
    void theBackendsOwnReasonPhraseIsKeptAndAMissingOneTaken() {
        request(HttpMethod.GET);
        answer("HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n");
        assertEquals("Fine", head(0).status().reasonPhrase());
        assertEquals(200, head(0).status().code());
        request(HttpMethod.GET);
        answer("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n");
        assertEquals(404, head(2).status().code());
        assertTrue(failures.isEmpty());
    }

    @Test
    void repeatedEqualLengthsBecomeOne() {
        request(HttpMethod.GET);
        answer(OK + "Content-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok");
        assertEquals(List.of("2"), head(0).headers().getAll("content-length"));
        assertEquals("ok", body(1));
    }

    static Stream<Arguments> brokenHeads() {
        return Stream.of(
                Arguments.of("status 2OO", "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("status 200OK", "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("status 20", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("HTTP/2", "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("not HTTP", "SSH-2.0-OpenSSH_9.6\r\n\r\n"),
                Arguments.of("two spaces", "HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("status line too long", "HTTP/1.1 200 " + "O".repeat(9000) + "\r\n\r\n"),
                Arguments.of("fields too large", OK + ("X-Pad: " + "p".repeat(400) + "\r\n").repeat(100) + "\r\n"),
                Arguments.of("NUL in a value", OK + "X-A: a\u0000b\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("CR alone", OK + "X-A: a\rX-B: b\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("no colon", OK + "Broken header\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("space in a name", OK + "X-Sp ace: v\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("fold before any field", OK + " X-A: v\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("CL and TE", OK + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
                Arguments.of("CL 5 and CL 7", OK + "Content-Length: 5\r\nContent-Length: 7\r\n\r\n"),
                Arguments.of("CL 5, 7", OK + "Content-Length: 5, 7\r\n\r\n"),
                Arguments.of("CL -1", OK + "Content-Length: -1\r\n\r\n"),
                Arguments.of("CL empty", OK + "Content-Length:\r\n\r\n"),
                Arguments.of("TE in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenHeads")
    void aBrokenHeadIsNeverPassedOn(String name, String raw) {
        request(HttpMethod.GET);
        ByteBuf bytes = Unpooled.copiedBuffer(raw + "ok", StandardCharsets.ISO_8859_1);
        channel.writeInbound(bytes);
        assertEquals(0, bytes.refCnt());
        assertTrue(received.isEmpty(), name + ": " + received);
        assertEquals(1, failures.size(), name);
        assertInstanceOf(Http1ResponseDecoder.MalformedResponse.class, failures.get(0));
        assertTrue(decoder.hasLeftovers(), "a broken connection is never pooled");
        ByteBuf more = Unpooled.copiedBuffer(OK + "Content-Length: 0\r\n\r\n", StandardCharsets.ISO_8859_1);
        channel.writeInbound(more);
        assertEquals(0, more.refCnt(), "what follows is dropped");
        assertTrue(received.isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenHeads")
    void aBrokenHeadFedByteByByteIsRefusedToo(String name, String raw) {
        request(HttpMethod.GET);
        answerByteByByte(raw);
        assertTrue(received.isEmpty(), name + ": " + received);
        assertEquals(1, failures.size(), name);
    }

    @Test
    void bytesAfterTheFramingAreLeftoversAtTheAnswersEnd() {
        request(HttpMethod.GET);
        boolean[] leftoverAtTheEnd = new boolean[1];
        onMessage = msg -> leftoverAtTheEnd[0] |= msg instanceof LastHttpContent && decoder.hasLeftovers();
        answer(OK + "Content-Length: 5\r\n\r\nfinal, and more");
        assertTrue(leftoverAtTheEnd[0]);
        assertEquals("final", body(1));
        assertTrue(decoder.hasLeftovers());
    }

    @Test
    void aPartialHeadKeptBetweenReadsIsALeftover() {
        request(HttpMethod.GET);
        answer("HTTP/1.1 2");
        assertTrue(received.isEmpty());
        assertTrue(decoder.hasLeftovers(), "half a head is kept for the next read");
        answer("00 OK\r\nContent-Length: 0\r\n\r\n");
        assertEquals(200, head(0).status().code());
        assertFalse(decoder.hasLeftovers());
    }

    @Test
    void bytesWithNoRequestOutstandingBreakTheConnection() {
        ByteBuf bytes = Unpooled.copiedBuffer(OK + "Content-Length: 0\r\n\r\n", StandardCharsets.ISO_8859_1);
        channel.writeInbound(bytes);
        assertEquals(0, bytes.refCnt());
        assertTrue(received.isEmpty());
        assertEquals(1, failures.size());
    }

    @Test
    void answersFedByteByByteDecodeAsWhole() {
        request(HttpMethod.GET);
        answerByteByByte("HTTP/1.1 100 Continue\r\n\r\n" + OK + "Transfer-Encoding: chunked\r\nX-A: a\r\n b\r\n\r\n"
                + "5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n");
        assertEquals(100, head(0).status().code());
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, received.get(1));
        assertEquals("a b", head(2).headers().get("x-a"));
        assertEquals("hello", body(3));
        assertEquals("1", ((LastHttpContent) received.get(received.size() - 1)).trailingHeaders().get("x-sum"));
        assertFalse(decoder.hasLeftovers(), "an idle connection holds no buffer");
        request(HttpMethod.GET);
        int before = received.size();
        answerByteByByte("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc");
        assertEquals("abc", body(before + 1), "a backend's bare LF ends its lines");
    }

    @Test
    void afterA101TheBytesGoToWhatReplacesTheDecoder() {
        request(HttpMethod.GET);
        onMessage = msg -> {
            if (msg instanceof HttpResponse switching && switching.status().code() == 101) {
                channel.pipeline().remove(decoder); // as the WebSocket upgrade does
            }
        };
        answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\u0081\u0002hi");
        assertEquals(2, received.size());
        ByteBuf tunnel = assertInstanceOf(ByteBuf.class, received.get(1));
        assertEquals("\u0081\u0002hi", tunnel.toString(StandardCharsets.ISO_8859_1));
    }

    @Test
    void afterA101ThatNobodyTookNothingMoreIsDecoded() {
        request(HttpMethod.GET);
        answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\n\r\n" + OK + "Content-Length: 0\r\n\r\n");
        assertEquals(101, head(0).status().code());
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, received.get(1));
        assertEquals(2, received.size());
        assertTrue(decoder.hasLeftovers());
    }

    @Test
    void theDecoderRemovedBetweenReadsPassesOnWhatItKept() {
        request(HttpMethod.GET);
        answer("HTTP/1.1 2");
        channel.pipeline().remove(decoder);
        ByteBuf kept = assertInstanceOf(ByteBuf.class, received.get(0));
        assertEquals("HTTP/1.1 2", kept.toString(StandardCharsets.ISO_8859_1));
        assertNull(channel.pipeline().get(Http1ResponseDecoder.class));
    }
}
