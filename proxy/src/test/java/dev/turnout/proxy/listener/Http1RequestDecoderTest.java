package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnout.proxy.http.HeadFields;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client-side request decoder in an {@link EmbeddedChannel}: bytes in any pieces, heads and body parts out. */
class Http1RequestDecoderTest {

    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);
    private static final int MAX_REQUEST_LINE = 64;
    private static final int MAX_HEADER_SIZE = 256;
    private static final String AFTER = "GET /after HTTP/1.1\r\nHost: a\r\n\r\n";

    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private Http1ResponseEncoder responses;

    /** What reached the handler after the decoder, in order: heads, whole bodies (parts joined), events, raw bytes. */
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        private final List<String> log = new ArrayList<>();
        private final StringBuilder body = new StringBuilder();
        private boolean inBody;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest head) {
                    ByteBuf fields = Unpooled.buffer();
                    HeadFields.write(head.headers(), fields);
                    log.add(head.method() + " " + head.uri() + " " + head.protocolVersion() + "\r\n"
                            + fields.toString(StandardCharsets.ISO_8859_1));
                    fields.release();
                }
                if (msg instanceof HttpContent part) {
                    inBody = true;
                    body.append(part.content().toString(StandardCharsets.ISO_8859_1));
                }
                if (msg instanceof LastHttpContent last) {
                    StringBuilder entry = new StringBuilder("body:").append(body);
                    for (Map.Entry<String, String> trailer : last.trailingHeaders()) {
                        entry.append(" trailer:").append(trailer.getKey()).append('=').append(trailer.getValue());
                    }
                    if (last.decoderResult().isFailure()) {
                        entry.append(" FAILED");
                    }
                    log.add(entry.toString());
                    body.setLength(0);
                    inBody = false;
                }
                if (msg instanceof ByteBuf bytes) {
                    log.add("bytes:" + bytes.toString(StandardCharsets.ISO_8859_1));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            log.add("event:" + evt);
        }

        /** The log, with a body whose last part has not come yet. */
        List<String> log() {
            List<String> all = new ArrayList<>(log);
            if (inBody) {
                all.add("partial body:" + body);
            }
            return all;
        }
    }

    private Recorder recorder;

    private EmbeddedChannel channel(Consumer<ChannelHandlerContext> onHttp2Preface) {
        responses = new Http1ResponseEncoder();
        recorder = new Recorder();
        EmbeddedChannel channel = new EmbeddedChannel(responses,
                new Http1RequestDecoder(MINUTE, MINUTE, MAX_REQUEST_LINE, MAX_HEADER_SIZE, responses, onHttp2Preface),
                recorder);
        channels.add(channel);
        return channel;
    }

    @AfterEach
    void finish() {
        for (EmbeddedChannel channel : channels) {
            channel.finishAndReleaseAll();
        }
    }

    private static void send(EmbeddedChannel channel, String... pieces) {
        for (String piece : pieces) {
            channel.writeInbound(Unpooled.copiedBuffer(piece, StandardCharsets.ISO_8859_1));
        }
    }

    /** Decodes the pieces on a new connection and returns what came out. */
    private List<String> decode(String... pieces) {
        send(channel(null), pieces);
        return recorder.log();
    }

    private List<String> decodeByteByByte(String input) {
        EmbeddedChannel channel = channel(null);
        for (int i = 0; i < input.length(); i++) {
            send(channel, input.substring(i, i + 1));
        }
        return recorder.log();
    }

    // ---- decoding -------------------------------------------------------------------------------

    @Test
    void aRequestSplitAtEveryBytePositionDecodesIdentically() {
        String input = "\r\nPOST /up?x=1 HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nx-ODD:  v \r\n\r\n"
                + "5;ext=1\r\nhello\r\nB\r\n, world....\r\n0\r\nX-Sum: 9\r\n\r\n"
                + "PUT /two HTTP/1.0\r\nContent-Length: 4\r\n\r\nbody"
                + "GET /three HTTP/1.1\r\nHost: b\r\n\r\n";
        List<String> expected = List.of(
                "POST /up?x=1 HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nx-ODD: v\r\n",
                "body:hello, world.... trailer:X-Sum=9",
                "PUT /two HTTP/1.0\r\nContent-Length: 4\r\n",
                "body:body",
                "GET /three HTTP/1.1\r\nHost: b\r\n",
                "body:");
        assertEquals(expected, decode(input));
        for (int split = 1; split < input.length(); split++) {
            assertEquals(expected, decode(input.substring(0, split), input.substring(split)), "split at " + split);
        }
        assertEquals(expected, decodeByteByByte(input));
    }

    @Test
    void aHeadWaitingForItsNextBytesIsNotDisturbedByOtherConnectionsOnTheSameThread() {
        // The connections of one event loop check their heads with one shared instance; a half head keeps its own.
        EmbeddedChannel slow = channel(null);
        Recorder slowRecorder = recorder;
        send(slow, "GET /slow HTTP/1.1\r\nHost: sl");
        assertEquals(List.of(), slowRecorder.log());
        EmbeddedChannel other = channel(null);
        send(other, "GET /whole HTTP/1.1\r\nHost: w\r\n\r\nPUT /half HT");
        send(slow, "ow.test\r\n\r\n");
        assertEquals(List.of("GET /slow HTTP/1.1\r\nHost: slow.test\r\n", "body:"), slowRecorder.log());
        send(other, "TP/1.1\r\nContent-Length: 0\r\n\r\n");
        assertEquals(List.of("GET /whole HTTP/1.1\r\nHost: w\r\n", "body:", "PUT /half HTTP/1.1\r\nContent-Length: 0\r\n",
                "body:"), recorder.log());
    }

    @Test
    void pipelinedHeadsInOneBufferEachGetTheirAnswerInOrder() {
        EmbeddedChannel channel = channel(null);
        send(channel, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST /3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(List.of("GET /1 HTTP/1.1\r\nHost: a\r\n", "body:", "HEAD /2 HTTP/1.1\r\nHost: a\r\n", "body:",
                "POST /3 HTTP/1.1\r\nContent-Length: 3\r\n", "body:abc", "OPTIONS * HTTP/1.1\r\nHost: a\r\n", "body:"),
                recorder.log());
        // The decoder told the encoder each method in order: only the HEAD's answer has no body.
        StringBuilder answers = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            DefaultFullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer("ok" + i, StandardCharsets.US_ASCII));
            answer.headers().setInt("Content-Length", 3);
            channel.writeOutbound(answer);
        }
        for (ByteBuf out; (out = channel.readOutbound()) != null; out.release()) {
            answers.append(out.toString(StandardCharsets.ISO_8859_1));
        }
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
        assertEquals(head + "ok0" + head + head + "ok2" + head + "ok3", answers.toString());
    }

    @Test
    void aBodySplitAcrossReadsPassesThroughWhole() {
        String big = "x".repeat(10_000);
        assertEquals(List.of("POST / HTTP/1.1\r\nContent-Length: 10003\r\n",
                "body:" + big + "end", "GET /after HTTP/1.1\r\nHost: a\r\n", "body:"),
                decode("POST / HTTP/1.1\r\nContent-Le", "ngth: 10003\r\n\r\n" + big, "e", "nd" + AFTER));
        // A read bigger than a small one arriving on the rest of a head.
        assertEquals(List.of("POST / HTTP/1.1\r\nContent-Length: 10000\r\n", "body:" + big),
                decode("POST / HTTP/1.1\r\nContent-Length: 10000\r\n", "\r\n" + big));
        assertEquals(List.of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", "partial body:hello"),
                decode("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r", "\nhel", "lo\r"));
    }

    @Test
    void framingThatCanBeReadOneWayIsAcceptedAndMadeOne() {
        assertEquals(List.of("POST / HTTP/1.1\r\ncontent-length: 2\r\nHost: a\r\n", "body:ok"),
                decode("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\nHost: a\r\n\r\nok"));
        assertEquals(List.of("POST / HTTP/1.1\r\ncontent-length: 2\r\nHost: a\r\n", "body:ok"),
                decode("POST / HTTP/1.1\r\nContent-Length: 2\r\nHost: a\r\nContent-Length: 2\r\n\r\nok"));
        assertEquals(List.of("POST / HTTP/1.1\r\nContent-Length: 002\r\n", "body:ok"),
                decode("POST / HTTP/1.1\r\nContent-Length: 002\r\n\r\nok"));
        assertEquals(List.of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n", "body:"),
                decode("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"));
        assertEquals(List.of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED\r\n", "body:"),
                decode("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED\r\n\r\n0\r\n\r\n"));
        assertEquals(List.of("FOO /x HTTP/1.1\r\n", "body:"), decode("FOO /x HTTP/1.1\r\n\r\n"));
        assertEquals(List.of("GET / HTTP/1.1\r\n", "body:"), decode("GET / HTTP/1.7\r\n\r\n"), "a later 1.x is 1.1");
        assertEquals(List.of("POST / HTTP/1.1\r\nContent-Length: 0\r\n", "body:"),
                decode("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
    }

    // ---- refusals -------------------------------------------------------------------------------

    /** The head is refused with that status, whole and byte by byte, and nothing is fired after it. */
    private void assertRefused(int status, String input) {
        List<String> refused = List.of("event:Malformed[status=" + status + "]");
        EmbeddedChannel channel = channel(null);
        send(channel, input + AFTER, AFTER);
        assertEquals(refused, recorder.log(), input);
        assertEquals(refused, decodeByteByByte(input + AFTER), "byte by byte: " + input);
    }

    @Test
    void malformedHeadsAreRefusedWithTheirStatus() {
        assertRefused(400, "GET / HTTP/1.1\r\nHost : a\r\n\r\n");
        assertRefused(400, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n");
        assertRefused(400, "GET / HTTP/1.1\nHost: a\n\n");
        assertRefused(400, "GET  / HTTP/1.1\r\n\r\n");
        assertRefused(400, "G@T / HTTP/1.1\r\n\r\n");
        assertRefused(400, "GET / HTTP/1.1\r\nNo colon\r\n\r\n");
        assertRefused(505, "GET / HTTP/2.0\r\nHost: a\r\n\r\n");
        assertRefused(414, "GET /" + "a".repeat(MAX_REQUEST_LINE) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        assertRefused(431, "GET / HTTP/1.1\r\nX: " + "v".repeat(MAX_HEADER_SIZE) + "\r\n\r\n");
        assertRefused(431, "GET / HTTP/1.1\r\n" + "X: v\r\n".repeat(MAX_HEADER_SIZE / 6 + 1) + "\r\n");
    }

    @Test
    void aTooLongHeadIsRefusedBeforeItEnds() {
        assertEquals(List.of("event:Malformed[status=414]"), decode("GET /" + "a".repeat(MAX_REQUEST_LINE)));
        assertEquals(List.of("event:Malformed[status=431]"), decode("GET / HTTP/1.1\r\nX: " + "v".repeat(MAX_HEADER_SIZE)));
        assertEquals(List.of("event:Malformed[status=414]"), decodeByteByByte("GET /" + "a".repeat(MAX_REQUEST_LINE)));
        assertEquals(List.of("event:Malformed[status=414]"), decode("\r\n".repeat(MAX_REQUEST_LINE)));
        assertEquals(List.of("GET / HTTP/1.1\r\n", "body:"),
                decode("\r\n".repeat(MAX_REQUEST_LINE / 4) + "GET / HTTP/1.1\r\n\r\n"));
    }

    @Test
    void framingInDoubtIsRefusedWithItsHead() {
        assertRefused(400, "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc");
        assertRefused(400, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc");
        assertRefused(400, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
        assertRefused(400, "POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\nabcd");
        assertRefused(400, "POST / HTTP/1.1\r\nContent-Length: 3,\r\n\r\nabc");
        for (String length : new String[] {"-1", "+3", "3a", "0x3", "3 3", "", "1234567890123456789"}) {
            assertRefused(400, "POST / HTTP/1.1\r\nContent-Length: " + length + "\r\n\r\nabc");
        }
        assertRefused(400, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc");
        assertRefused(400, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n");
        assertRefused(400, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n");
        assertRefused(400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    @Test
    void aRefusalAfterAGoodRequestEndsTheDecoding() {
        EmbeddedChannel channel = channel(null);
        send(channel, "GET /ok HTTP/1.1\r\n\r\nGET /bad HTTP/9.9\r\n\r\n" + AFTER);
        send(channel, AFTER);
        assertEquals(List.of("GET /ok HTTP/1.1\r\n", "body:", "event:Malformed[status=505]"), recorder.log());
    }

    @Test
    void aBrokenBodyEndsTheDecoding() {
        // The bytes after a broken framing cannot be told apart from the body: none may become a request.
        String smuggled = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello" + AFTER;
        List<String> expected = List.of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", "body:hello FAILED");
        assertEquals(expected, decode(smuggled, AFTER));
        assertEquals(expected, decodeByteByByte(smuggled));
        assertEquals(List.of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", "body: FAILED"),
                decode("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n" + AFTER));
    }

    // ---- leaving HTTP/1.1 -----------------------------------------------------------------------

    @Test
    void thePrefaceOfHttp2HandsTheConnectionOver() {
        String preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        List<String> called = new ArrayList<>();
        EmbeddedChannel channel = channel(ctx -> {
            called.add("h2c");
            ctx.pipeline().remove(ctx.handler()); // as the server does: the HTTP/1.1 handlers leave
        });
        send(channel, preface + "frames");
        send(channel, "more frames");
        assertEquals(List.of("h2c"), called);
        assertEquals(List.of("bytes:" + preface + "frames", "bytes:more frames"), recorder.log());

        // Without h2c (TLS), or later on the connection, the same bytes are an HTTP/2.0 request line.
        assertEquals(List.of("event:Malformed[status=505]"), decode(preface));
        EmbeddedChannel later = channel(ctx -> called.add("late"));
        send(later, "GET / HTTP/1.1\r\n\r\n", preface);
        assertEquals(List.of("GET / HTTP/1.1\r\n", "body:", "event:Malformed[status=505]"), recorder.log());
        assertEquals(List.of("h2c"), called);
    }

    @Test
    void bytesKeptAcrossReadsArePassedOnWhenTheDecoderLeaves() {
        EmbeddedChannel channel = channel(null);
        send(channel, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /partial HTTP/1.1\r\nHo");
        channel.pipeline().remove(Http1RequestDecoder.class);
        send(channel, "tunnel");
        assertEquals(List.of("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n", "body:",
                "bytes:GET /partial HTTP/1.1\r\nHo", "bytes:tunnel"), recorder.log());

        EmbeddedChannel chunkLine = channel(null);
        send(chunkLine, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r");
        chunkLine.pipeline().remove(Http1RequestDecoder.class);
        assertEquals(List.of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", "bytes:5\r"), recorder.log());
    }

    @Test
    void aCloseMidHeadOrMidBodyReleasesWhatWasKept() {
        EmbeddedChannel head = channel(null);
        send(head, "GET / HTTP/1.1\r\nHo");
        head.close();
        assertEquals(List.of(), recorder.log());
        EmbeddedChannel body = channel(null);
        send(body, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "lo\r");
        body.close();
        assertEquals(List.of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", "partial body:hello"), recorder.log());
    }
}
