package dev.turnout.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Body framing, each case fed whole and byte by byte (a body arrives in any number of pieces). */
class BodyDecoderTest {

    private static final boolean STRICT = true;
    private static final boolean LENIENT = false;

    /** What a body decoded to: its content joined, whether and how it ended, and the bytes left after it. */
    private record Decoded(String content, boolean ended, String failure, List<String> trailers, String left) {
    }

    /** Takes each part as the decoder's caller does, and releases it. */
    private static final class Parts implements Consumer<HttpContent> {
        private final StringBuilder content = new StringBuilder();
        private String failure;
        private List<String> trailers;
        private boolean last;

        @Override
        public void accept(HttpContent part) {
            try {
                assertFalse(last, "nothing after the last part");
                content.append(part.content().toString(StandardCharsets.ISO_8859_1));
                if (part.decoderResult().isFailure()) {
                    assertTrue(part instanceof LastHttpContent, "only the last part fails");
                    failure = part.decoderResult().cause().getMessage();
                }
                if (part instanceof LastHttpContent end) {
                    last = true;
                    trailers = new ArrayList<>();
                    for (Map.Entry<String, String> field : end.trailingHeaders()) {
                        trailers.add(field.getKey() + ": " + field.getValue());
                    }
                }
            } finally {
                part.release();
            }
        }

        Decoded decoded(boolean ended, String left) {
            assertEquals(ended, last, "decode says the body ended when its last part was passed");
            return new Decoded(content.toString(), ended, failure, trailers, left);
        }
    }

    private static BodyDecoder decoder(boolean strict, Consumer<BodyDecoder> framing) {
        BodyDecoder decoder = new BodyDecoder(strict);
        framing.accept(decoder);
        return decoder;
    }

    private static Decoded whole(BodyDecoder decoder, String input) {
        ByteBuf in = Unpooled.copiedBuffer(input, StandardCharsets.ISO_8859_1);
        try {
            Parts parts = new Parts();
            boolean ended = decoder.decode(in, parts);
            return parts.decoded(ended, in.toString(StandardCharsets.ISO_8859_1));
        } finally {
            in.release();
        }
    }

    /** As the request decoder calls it: what a call leaves unread is read again with the next bytes. */
    private static Decoded byteByByte(BodyDecoder decoder, String input) {
        ByteBuf in = Unpooled.buffer();
        try {
            Parts parts = new Parts();
            for (int i = 0; i < input.length(); i++) {
                in.writeByte(input.charAt(i));
                if (decoder.decode(in, parts)) {
                    return parts.decoded(true, in.toString(StandardCharsets.ISO_8859_1) + input.substring(i + 1));
                }
                in.discardReadBytes(); // safe: Parts released every slice it was given
            }
            return parts.decoded(false, in.toString(StandardCharsets.ISO_8859_1));
        } finally {
            in.release();
        }
    }

    /** Decodes {@code input} whole and byte by byte, asserts both agree, and returns what they decoded to. */
    private static Decoded both(boolean strict, Consumer<BodyDecoder> framing, String input) {
        Decoded whole = whole(decoder(strict, framing), input);
        assertEquals(whole, byteByByte(decoder(strict, framing), input), "byte by byte: " + printable(input));
        return whole;
    }

    private static Decoded chunked(boolean strict, String input) {
        return both(strict, BodyDecoder::chunked, input);
    }

    private static void assertWellChunked(boolean strict, String content, String input) {
        Decoded decoded = chunked(strict, input);
        assertNull(decoded.failure(), printable(input));
        assertTrue(decoded.ended(), printable(input));
        assertEquals(content, decoded.content(), printable(input));
    }

    private static void assertBroken(boolean strict, String input) {
        Decoded decoded = chunked(strict, input);
        assertTrue(decoded.ended(), printable(input));
        assertNotNull(decoded.failure(), "should fail: " + printable(input));
    }

    private static String printable(String input) {
        String shown = input.length() > 80 ? input.substring(0, 80) + "..." : input;
        return shown.replace("\r", "\\r").replace("\n", "\\n");
    }

    // ---- fixed length and until close -----------------------------------------------------------

    @Test
    void aFixedLengthEndsAtItsLengthAndLeavesTheNextMessage() {
        Decoded decoded = both(STRICT, d -> d.fixed(5), "helloGET / HTTP/1.1");
        assertEquals(new Decoded("hello", true, null, List.of(), "GET / HTTP/1.1"), decoded);
        assertEquals(new Decoded("hel", false, null, null, ""), both(STRICT, d -> d.fixed(5), "hel"));
    }

    @Test
    void aFixedLengthGoesOnAcrossReads() {
        BodyDecoder decoder = decoder(STRICT, d -> d.fixed(10));
        assertEquals(new Decoded("hello", false, null, null, ""), whole(decoder, "hello"));
        assertTrue(decoder.active());
        assertEquals(new Decoded("", false, null, null, ""), whole(decoder, ""));
        assertEquals(new Decoded("world", true, null, List.of(), "NEXT"), whole(decoder, "worldNEXT"));
        assertFalse(decoder.active());
    }

    @Test
    void untilCloseNeverEndsByItself() {
        BodyDecoder decoder = decoder(LENIENT, BodyDecoder::untilClose);
        assertTrue(decoder.endsAtClose());
        assertEquals(new Decoded("abc", false, null, null, ""), whole(decoder, "abc"));
        assertEquals(new Decoded("0\r\n\r\n", false, null, null, ""), whole(decoder, "0\r\n\r\n"));
        assertEquals(new Decoded("x\r\ny", false, null, null, ""), byteByByte(decoder, "x\r\ny"));
        assertTrue(decoder.active());
        decoder.reset();
        assertFalse(decoder.active());
        assertFalse(decoder.endsAtClose());
    }

    @Test
    void contentIsASliceOfTheReadBufferNotACopy() {
        BodyDecoder decoder = decoder(STRICT, BodyDecoder::chunked);
        ByteBuf in = Unpooled.copiedBuffer("5\r\nhello\r\n", StandardCharsets.ISO_8859_1);
        List<HttpContent> parts = new ArrayList<>();
        assertFalse(decoder.decode(in, parts::add));
        assertEquals(1, parts.size());
        HttpContent part = parts.get(0);
        assertSame(in.array(), part.content().array());
        assertEquals(2, in.refCnt(), "the slice holds the read buffer");
        in.release();
        assertEquals("hello", part.content().toString(StandardCharsets.ISO_8859_1));
        part.release();
        assertEquals(0, in.refCnt());
    }

    // ---- chunked --------------------------------------------------------------------------------

    @Test
    void chunksWithTrailersEndWellAndLeaveTheNextMessage() {
        String body = "5\r\nhello\r\nA\r\n, world...\r\n0\r\nX-Sum: abc\r\nx-two:\t t v \r\n\r\nGET /next";
        for (boolean strict : new boolean[] {STRICT, LENIENT}) {
            assertEquals(new Decoded("hello, world...", true, null, List.of("X-Sum: abc", "x-two: t v"), "GET /next"),
                    chunked(strict, body));
            assertEquals(new Decoded("", true, null, List.of(), ""), chunked(strict, "0\r\n\r\n"));
        }
    }

    @Test
    void chunkSizeLinesOfEveryAcceptedShape() {
        for (boolean strict : new boolean[] {STRICT, LENIENT}) {
            assertWellChunked(strict, "hello", "0000000000000000000005\r\nhello\r\n0\r\n\r\n");
            assertWellChunked(strict, "0123456789abcdefX", "11\r\n0123456789abcdefX\r\n000\r\n\r\n");
            assertWellChunked(strict, "0123456789", "a\r\n0123456789\r\n0\r\n\r\n");
            assertWellChunked(strict, "0123456789", "A\r\n0123456789\r\n0\r\n\r\n");
            assertWellChunked(strict, "hello", "5;name=value;flag\r\nhello\r\n0;last=\"q\"\r\n\r\n");
            assertWellChunked(strict, "hello", "5 ;a\r\nhello\r\n0\t;b\r\n\r\n");
            assertWellChunked(strict, "hello", "5 \t\r\nhello\r\n0\r\n\r\n");
            assertWellChunked(strict, "hello", "5;ext=\"tab\there\"\r\nhello\r\n0\r\n\r\n");
        }
    }

    @Test
    void fifteenSignificantDigitsAreASizeSixteenAreNot() {
        for (boolean strict : new boolean[] {STRICT, LENIENT}) {
            assertEquals(new Decoded("abc", false, null, null, ""), chunked(strict, "fffffffffffffff\r\nabc"));
            assertEquals(new Decoded("abc", false, null, null, ""), chunked(strict, "000000000000000100000000000000\r\nabc"));
            assertBroken(strict, "1000000000000000\r\nabc");
            assertBroken(strict, "ffffffffffffffff\r\n");
            assertBroken(strict, "10000000000000000000000000000000005\r\n");
        }
    }

    @Test
    void malformedChunkSizeLinesBreakTheBody() {
        for (boolean strict : new boolean[] {STRICT, LENIENT}) {
            assertBroken(strict, "\r\nhello\r\n0\r\n\r\n");
            assertBroken(strict, "g\r\n");
            assertBroken(strict, "-5\r\nhello\r\n");
            assertBroken(strict, "+5\r\nhello\r\n");
            assertBroken(strict, " 5\r\nhello\r\n");
            assertBroken(strict, "0x5\r\nhello\r\n");
            assertBroken(strict, "5 x\r\nhello\r\n");
            assertBroken(strict, "5 5\r\nhello\r\n");
            assertBroken(strict, "5\rX\r\nhello\r\n");
            // A control character in an extension.
            assertBroken(strict, "5;a\u0001b\r\nhello\r\n0\r\n\r\n");
            assertBroken(strict, "5;a\u007f\r\nhello\r\n0\r\n\r\n");
            assertBroken(strict, "5;a\u0000\r\nhello\r\n0\r\n\r\n");
            assertBroken(strict, "5;a\rb\r\nhello\r\n0\r\n\r\n");
            assertBroken(strict, "0;a\u0001\r\n\r\n");
        }
    }

    @Test
    void chunkDataMustEndInCrlf() {
        for (boolean strict : new boolean[] {STRICT, LENIENT}) {
            Decoded longer = chunked(strict, "5\r\nhelloX\r\n0\r\n\r\n");
            assertEquals("hello", longer.content());
            assertNotNull(longer.failure());
            assertEquals("X\r\n0\r\n\r\n", longer.left(), "nothing after the broken point is read");
            assertBroken(strict, "5\r\nhello\rX0\r\n\r\n");
            assertBroken(strict, "5\r\nhello\r\r\n0\r\n\r\n");
            assertBroken(strict, "3\r\nhello\r\n0\r\n\r\n");
        }
    }

    @Test
    void aBareLfIsRefusedStrictlyAndAcceptedLeniently() {
        String[] bareLf = {
            "5\nhello\r\n0\r\n\r\n",
            "5\r\nhello\n0\r\n\r\n",
            "5\r\nhello\r\n0\n\r\n",
            "5\r\nhello\r\n0\r\nX: 1\n\r\n",
            "5\r\nhello\r\n0\r\n\n",
            "5\nhello\n0\nX: 1\n\n",
        };
        for (String input : bareLf) {
            assertBroken(STRICT, input);
            assertWellChunked(LENIENT, "hello", input);
        }
        assertEquals(List.of("X: 1"), chunked(LENIENT, "5\nhello\n0\nX: 1\n\n").trailers());
        assertBroken(STRICT, "\n");
        assertBroken(LENIENT, "\n");
    }

    @Test
    void malformedTrailersBreakTheBody() {
        for (boolean strict : new boolean[] {STRICT, LENIENT}) {
            assertBroken(strict, "0\r\nNo colon\r\n\r\n");
            assertBroken(strict, "0\r\n: empty name\r\n\r\n");
            assertBroken(strict, "0\r\nBad Name: v\r\n\r\n");
            assertBroken(strict, "0\r\nName : v\r\n\r\n");
            assertBroken(strict, "0\r\nX: a\r\n folded\r\n\r\n");
            assertBroken(strict, "0\r\nX: a\u0001b\r\n\r\n");
            assertBroken(strict, "0\r\nX: a\rb\r\n\r\n");
            assertBroken(strict, "0\r\nX(y): v\r\n\r\n");
        }
    }

    @Test
    void aTrailerSectionOrLineTooLongBreaksTheBody() {
        StringBuilder trailers = new StringBuilder("0\r\n");
        for (int i = 0; trailers.length() < 9000; i++) {
            trailers.append("X-").append(i).append(": ").append("v".repeat(90)).append("\r\n");
        }
        trailers.append("\r\n");
        assertBroken(STRICT, trailers.toString());

        String longExtension = "5;" + "a".repeat(9000) + "\r\nhello\r\n0\r\n\r\n";
        assertBroken(STRICT, longExtension);
        assertBroken(LENIENT, longExtension);
        assertWellChunked(STRICT, "hello", "5;" + "a".repeat(8000) + "\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void aReusedDecoderStartsEachBodyAfresh() {
        BodyDecoder decoder = decoder(STRICT, BodyDecoder::chunked);
        assertEquals(List.of("T: 1"), whole(decoder, "1\r\na\r\n0\r\nT: 1\r\n\r\n").trailers());
        decoder.chunked();
        assertEquals(new Decoded("b", true, null, List.of(), ""), whole(decoder, "1\r\nb\r\n0\r\n\r\n"));

        decoder.chunked();
        assertEquals(new Decoded("c", false, null, null, "T: "), whole(decoder, "1\r\nc\r\n0\r\nT: "));
        decoder.reset();
        assertFalse(decoder.active());
        decoder.fixed(2);
        assertEquals(new Decoded("ok", true, null, List.of(), ""), whole(decoder, "ok"));
        // A broken body leaves the decoder idle.
        decoder.chunked();
        assertNotNull(whole(decoder, "z\r\n").failure());
        assertFalse(decoder.active());
    }
}
