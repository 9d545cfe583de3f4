package dev.turnout.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The raw head check, fed whole and byte by byte (a head arrives in any number of pieces). */
class HeadSyntaxTest {

    private static int whole(HeadSyntax syntax, String head) {
        ByteBuf bytes = Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1);
        try {
            return syntax.feed(bytes);
        } finally {
            bytes.release();
        }
    }

    private static int byteByByte(HeadSyntax syntax, String head) {
        for (int i = 0; i < head.length(); i++) {
            int verdict = whole(syntax, head.substring(i, i + 1));
            if (verdict != HeadSyntax.MORE) {
                return verdict;
            }
        }
        return HeadSyntax.MORE;
    }

    private static void assertRequest(int expected, String head) {
        assertEquals(expected, whole(HeadSyntax.forRequests(), head), head);
        assertEquals(expected, byteByByte(HeadSyntax.forRequests(), head), "byte by byte: " + head);
    }

    @Test
    void wellFormedHeadsCompleteAtTheirBlankLine() {
        assertRequest(HeadSyntax.COMPLETE, "GET /a?b=1 HTTP/1.1\r\nHost: a.test\r\nX-Utf8: caf\u00e9\r\n\r\n");
        assertRequest(HeadSyntax.COMPLETE, "\r\nPOST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
        assertRequest(HeadSyntax.MORE, "GET / HTTP/1.1\r\nHost: a.te");
        HeadSyntax syntax = HeadSyntax.forRequests();
        ByteBuf two = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next", StandardCharsets.ISO_8859_1);
        assertEquals(HeadSyntax.COMPLETE, syntax.feed(two));
        assertEquals(27, syntax.consumed(), "only the first head is the first head's");
        two.release();
        // RFC 9110 2.5: a later HTTP/1.x is handled as the highest 1.x spoken here.
        assertRequest(HeadSyntax.COMPLETE, "GET / HTTP/1.2\r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.COMPLETE, "GET / HTTP/1.9\r\nHost: a\r\n\r\n");
    }

    @Test
    void whereTheFieldsLieIsTheSameHoweverTheHeadIsCut() {
        String head = "\r\nGET /a HTTP/1.1\r\nHost: a.test\r\nAccept:  text/html , */*  \r\nX-Empty:\r\n"
                + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101\r\n"
                + "X-Spaced: \t  padded on both sides, \tand tabbed inside,\t \u00e9t\u00e9 en obs-text    \t\r\n"
                + "X-Blank:            \t        \r\n\r\n";
        HeadSyntax whole = HeadSyntax.forRequests();
        assertEquals(HeadSyntax.COMPLETE, whole(whole, head));
        int[] expected = Arrays.copyOf(whole.takeSpans(), whole.fields() * HeadFields.SPAN);
        HeadFields fields = new HeadFields(head.getBytes(StandardCharsets.ISO_8859_1), whole.takeSpans(), whole.fields(), false);
        assertEquals("text/html , */*", fields.get("Accept"));
        assertEquals("padded on both sides, \tand tabbed inside,\t \u00e9t\u00e9 en obs-text", fields.get("X-Spaced"));
        assertEquals("", fields.get("X-Blank"));
        assertEquals("", fields.get("X-Empty"));
        assertSameSpansInPieces(HeadSyntax::forRequests, head, whole, expected);
    }

    @Test
    void aResponsesFieldsLieTheSameHoweverItIsCutWithRepairedLinesAmongUsualOnes() {
        // Lines the whole-line path takes, and between them the ones only the byte-at-a-time path takes:
        // whitespace before a colon, a fold, a bare LF, an empty value.
        String head = "HTTP/1.1 200 OK\r\nServer: nginx\r\nX-A : v\r\nX-Folded: one\r\n  two\r\n"
                + "Content-Length: 1024\r\nX-Bare: lf\nX-Empty:\r\nETag: \"5f\"\r\n\r\n";
        HeadSyntax whole = HeadSyntax.forResponses();
        assertEquals(HeadSyntax.COMPLETE, whole(whole, head));
        assertEquals(7, whole.fields());
        int[] expected = Arrays.copyOf(whole.takeSpans(), whole.fields() * HeadFields.SPAN);
        HeadFields fields = new HeadFields(head.getBytes(StandardCharsets.ISO_8859_1), whole.takeSpans(), whole.fields(),
                whole.folded());
        assertEquals("v", fields.get("X-A"));
        assertEquals("one two", fields.get("X-Folded"));
        assertEquals("1024", fields.get("Content-Length"));
        assertEquals("lf", fields.get("X-Bare"));
        assertEquals("", fields.get("X-Empty"));
        assertEquals("\"5f\"", fields.get("ETag"));
        assertSameSpansInPieces(HeadSyntax::forResponses, head, whole, expected);
    }

    /** The head fed in pieces of 1 to 7 bytes: the start line and the fields lie where they lie when it is fed whole. */
    private static void assertSameSpansInPieces(Supplier<HeadSyntax> syntax, String head, HeadSyntax whole, int[] expected) {
        for (int piece = 1; piece <= 7; piece++) {
            HeadSyntax cut = syntax.get();
            int verdict = HeadSyntax.MORE;
            for (int at = 0; at < head.length() && verdict == HeadSyntax.MORE; at += piece) {
                verdict = whole(cut, head.substring(at, Math.min(head.length(), at + piece)));
            }
            assertEquals(HeadSyntax.COMPLETE, verdict, "pieces of " + piece);
            assertEquals(expected.length / HeadFields.SPAN, cut.fields(), "pieces of " + piece);
            assertEquals(List.of(whole.startLine(), whole.startLineEnd(), whole.firstSpace(), whole.secondSpace()),
                    List.of(cut.startLine(), cut.startLineEnd(), cut.firstSpace(), cut.secondSpace()), "pieces of " + piece);
            assertEquals(Arrays.toString(expected),
                    Arrays.toString(Arrays.copyOf(cut.takeSpans(), cut.fields() * HeadFields.SPAN)),
                    "pieces of " + piece);
        }
    }

    @Test
    void aDirectBufferIsCheckedAsAHeapOneHoweverLongTheHead() {
        // Longer than the piece of a direct buffer checked at a time, with bytes before it and a request after it.
        String head = "GET /long HTTP/1.1\r\nHost: a.test\r\nCookie: " + "k=v; ".repeat(2000) + "\r\nAccept: */*\r\n\r\n";
        String bytes = "xx" + head + "GET /next HTTP/1.1\r\n";
        ByteBuf heap = Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1);
        ByteBuf direct = Unpooled.directBuffer(bytes.length()).writeBytes(heap, 0, heap.readableBytes());
        try {
            HeadSyntax fromHeap = HeadSyntax.forRequests();
            HeadSyntax fromDirect = HeadSyntax.forRequests();
            assertEquals(HeadSyntax.COMPLETE, fromHeap.feed(heap, 2));
            assertEquals(HeadSyntax.COMPLETE, fromDirect.feed(direct, 2));
            assertEquals(head.length(), fromHeap.consumed());
            assertEquals(head.length(), fromDirect.consumed());
            assertEquals(3, fromDirect.fields());
            assertEquals(Arrays.toString(Arrays.copyOf(fromHeap.takeSpans(), 3 * HeadFields.SPAN)),
                    Arrays.toString(Arrays.copyOf(fromDirect.takeSpans(), 3 * HeadFields.SPAN)));
        } finally {
            heap.release();
            direct.release();
        }
    }

    @Test
    void whatTheDecoderWouldRepairIsRefusedInRequests() {
        assertRequest(HeadSyntax.BAD_REQUEST, "GET  / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET /\u0001 HTTP/1.1\r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nX-F: a\r\n b\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET / HTTP/1.1\r\nHost : a\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET / HTTP/1.1\r\nBroken header\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET / http/1.1\r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.VERSION_NOT_SUPPORTED, "GET / HTTP/2.0\r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.VERSION_NOT_SUPPORTED, "GET / HTTP/1.a\r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET / HTTP/1.10\r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, "GET / HTTP/1.1 \r\nHost: a\r\n\r\n");
        assertRequest(HeadSyntax.BAD_REQUEST, " GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        // A control or DEL anywhere in a long value, which is checked eight bytes at a time: refused as in a short one.
        String value = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0";
        for (int at = 0; at <= value.length(); at++) {
            for (char bad : new char[] {'\u0000', '\u0001', '\u000b', '\u001f', '\u007f', '\n'}) {
                assertRequest(HeadSyntax.BAD_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: " + value.substring(0, at) + bad
                        + value.substring(at) + "\r\n\r\n");
            }
        }
    }

    @Test
    void responsesMayBeRepairedWhereRfc9112AllowsButNotBroken() {
        String ok = "HTTP/1.1 200 OK\r\n";
        assertEquals(HeadSyntax.COMPLETE, whole(HeadSyntax.forResponses(), ok + "X-A : v\r\nX-B: a\r\n b\r\n\r\n"));
        assertEquals(HeadSyntax.BAD_REQUEST, whole(HeadSyntax.forResponses(), ok + "Broken header\r\n\r\n"));
        assertEquals(HeadSyntax.BAD_REQUEST, whole(HeadSyntax.forResponses(), ok + "X-Sp ace: v\r\n\r\n"));
        assertEquals(HeadSyntax.BAD_REQUEST, whole(HeadSyntax.forResponses(), ok + "X-A: \u0000\r\n\r\n"));
        // A line starting with whitespace before the first field continues no field (RFC 9112 2.2).
        assertEquals(HeadSyntax.BAD_REQUEST, whole(HeadSyntax.forResponses(), ok + " X-A: v\r\n\r\n"));
    }

    @Test
    void aResponseLineStartingWithWhitespaceBeforeAnyFieldIsRefused() {
        // RFC 9112 2.2: no field precedes it for it to continue; it is refused rather than skipped.
        String ok = "HTTP/1.1 200 OK\r\n";
        assertEquals(HeadSyntax.BAD_REQUEST, whole(HeadSyntax.forResponses(), ok + " x\r\nA: b\r\n\r\n"));
        assertEquals(HeadSyntax.BAD_REQUEST, whole(HeadSyntax.forResponses(), ok + "\tX: y\r\n\r\n"));
        assertEquals(HeadSyntax.BAD_REQUEST, byteByByte(HeadSyntax.forResponses(), ok + " x\r\n\r\n"));
    }
}
