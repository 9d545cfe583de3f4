package dev.turnout.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fields read in place from a head's bytes, with edits laid over them, and written back byte for byte. */
class HeadFieldsTest {

    private static final String LINE = "GET / HTTP/1.1\r\n";

    /** The fields of a head, built as the request decoder builds them: from HeadSyntax's spans. */
    private static HeadFields parse(HeadSyntax syntax, String head) {
        byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuf buffer = Unpooled.wrappedBuffer(bytes);
        try {
            assertEquals(HeadSyntax.COMPLETE, syntax.feed(buffer), head);
            assertEquals(bytes.length, syntax.consumed(), head);
        } finally {
            buffer.release();
        }
        return new HeadFields(bytes, syntax.takeSpans(), syntax.fields(), syntax.folded());
    }

    private static HeadFields request(String fields) {
        return parse(HeadSyntax.forRequests(), LINE + fields + "\r\n");
    }

    private static String written(HttpHeaders fields) {
        ByteBuf out = Unpooled.buffer();
        try {
            HeadFields.write(fields, out);
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    private static List<String> order(HttpHeaders fields) {
        List<String> all = new ArrayList<>();
        for (Map.Entry<String, String> field : fields) {
            all.add(field.getKey() + "=" + field.getValue());
        }
        List<String> sequences = new ArrayList<>();
        Iterator<Map.Entry<CharSequence, CharSequence>> it = fields.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            sequences.add(field.getKey() + "=" + field.getValue());
        }
        assertEquals(all, sequences, "both iterators see the same fields");
        assertEquals(all.size(), fields.size());
        assertEquals(all.isEmpty(), fields.isEmpty());
        return all;
    }

    @Test
    void getReadsValuesWithoutOwsAndNamesWithoutCase() {
        HeadFields fields = request("Host: a.test\r\nX-List: a, b ,c\t,\r\nx-list:d\r\nEmpty:\r\nSpaced: \t v w \t\r\n");
        assertEquals("a.test", fields.get("host"));
        assertEquals("a.test", fields.get("HOST"));
        assertEquals("a, b ,c\t,", fields.get("X-LIST"), "OWS trimmed at both ends only");
        assertEquals(List.of("a, b ,c\t,", "d"), fields.getAll("x-List"));
        assertEquals("", fields.get("Empty"));
        assertEquals("v w", fields.get("spaced"));
        assertNull(fields.get("X-Lis"));
        assertNull(fields.get("X-List2"));
        assertTrue(fields.getAll("missing").isEmpty());
        assertEquals(5, fields.size());
    }

    @Test
    void containsMatchesWholeValuesAndContainsValueListElements() {
        HeadFields fields = request("Connection: keep-alive, Upgrade\r\nconnection:\tclose \r\nX-Empty:\r\n");
        assertTrue(fields.contains("CONNECTION"));
        assertFalse(fields.contains("Connectio"));
        assertTrue(fields.contains("connection", "close", false));
        assertTrue(fields.contains("connection", "CLOSE", true));
        assertFalse(fields.contains("connection", "CLOSE", false));
        assertFalse(fields.contains("connection", "upgrade", true), "contains matches a whole value, not an element");
        assertTrue(fields.containsValue("Connection", "upgrade", true));
        assertTrue(fields.containsValue("Connection", "keep-alive", false));
        assertFalse(fields.containsValue("Connection", "UPGRADE", false));
        assertFalse(fields.containsValue("Connection", "keep-alive, Upgrade", false));
        assertFalse(fields.containsValue("Connection", "keep", true));
        assertTrue(fields.containsValue("connection", "close", false));
        assertTrue(fields.contains("x-empty", "", false));

        // The same answers once the values were read (and kept as strings), and for a value set by code.
        fields.getAll("connection");
        assertTrue(fields.containsValue("Connection", "upgrade", true));
        assertFalse(fields.containsValue("Connection", "UPGRADE", false));
        assertTrue(fields.contains("connection", "CLOSE", true));
        fields.add("Connection", " te ,\tTrailers ");
        assertTrue(fields.containsValue("connection", "trailers", true));
        assertTrue(fields.containsValue("connection", "te", false));
    }

    @Test
    void namesOfOddCaseMatchLettersOnly() {
        HeadFields fields = request("cOnTeNt-LeNgTh: 5\r\nX^Y: caret\r\nA`B: tick\r\n");
        assertEquals("5", fields.get("Content-Length"));
        assertEquals(5, fields.getInt("content-length"));
        assertEquals(List.of("cOnTeNt-LeNgTh", "X^Y", "A`B"), new ArrayList<>(fields.names()), "names as sent");
        assertEquals("caret", fields.get("x^y"));
        // '^' and '~', '`' and '@' differ in the case bit, but they are not letters.
        assertNull(fields.get("X~Y"));
        assertNull(fields.get("A@B"));
        assertEquals("tick", fields.get("a`b"));
    }

    @Test
    void setReplacesTheFirstInPlaceAndRemovesTheOthers() {
        HeadFields fields = request("A: 1\r\nB: 2\r\nb: 3\r\nC: 4\r\nB: 5\r\n");
        fields.set("b", "x");
        assertEquals(List.of("A=1", "b=x", "C=4"), order(fields));
        assertEquals(List.of("x"), fields.getAll("B"));
        assertEquals("A: 1\r\nb: x\r\nC: 4\r\n", written(fields));

        fields.set("New", 7);
        fields.setInt("A", 9);
        assertEquals(List.of("A=9", "b=x", "C=4", "New=7"), order(fields));
        assertEquals("A: 9\r\nb: x\r\nC: 4\r\nNew: 7\r\n", written(fields));
    }

    @Test
    void addGoesLastAndRemoveTakesEveryFieldOfTheName() {
        HeadFields fields = request("A: 1\r\nC: 3\r\nc: 33\r\nD: 4\r\n");
        fields.add("E", "5").add("a", "11");
        assertEquals(List.of("A=1", "C=3", "c=33", "D=4", "E=5", "a=11"), order(fields));
        assertEquals(List.of("1", "11"), fields.getAll("A"));

        fields.remove("c").remove("nothing");
        assertFalse(fields.contains("C"));
        assertEquals(List.of("A=1", "D=4", "E=5", "a=11"), order(fields));
        fields.add("C", "again");
        fields.remove("E");
        assertEquals(List.of("A=1", "D=4", "a=11", "C=again"), order(fields));
        assertEquals("A: 1\r\nD: 4\r\na: 11\r\nC: again\r\n", written(fields));

        fields.clear();
        assertEquals(List.of(), order(fields));
        assertEquals("", written(fields));
        assertNull(fields.get("A"));
        fields.add("Z", "26");
        assertEquals(List.of("Z=26"), order(fields));
    }

    @Test
    void manyAddedFieldsGrowTheSpans() {
        HeadFields fields = new HeadFields();
        List<String> expected = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            fields.add("F" + i, "v" + i);
            expected.add("F" + i + "=v" + i);
            out.append("F").append(i).append(": v").append(i).append("\r\n");
        }
        assertEquals(expected, order(fields));
        assertEquals(out.toString(), written(fields));
        assertEquals("v49", fields.get("f49"));
    }

    @Test
    void writeToCopiesParsedFieldsByteForByte() throws InterruptedException {
        String head = "X-Odd:value\r\nY:   spaced  value \t\r\nZ: caf\u00e9 \u00ff\r\nwEiRd-CaSe: 1\r\nE:\r\n";
        String expected = "X-Odd: value\r\nY: spaced  value\r\nZ: caf\u00e9 \u00ff\r\nwEiRd-CaSe: 1\r\nE: \r\n";
        assertEquals(expected, written(request(head)));

        // Values read as strings first (and kept so) are written back as the same bytes.
        HeadFields read = request(head);
        assertEquals("caf\u00e9 \u00ff", read.get("z"));
        read.forEach(field -> { });
        assertEquals(expected, written(read));

        // A section bigger than any written before, with fields set by code (a char past Latin-1 becomes '?').
        HeadFields big = request("Cookie: " + "c".repeat(9000) + "\r\nHost: a\r\n");
        big.set("Host", new AsciiString("b.test"));
        big.add("X-Added", "\u20ac and caf\u00e9");
        assertEquals("Cookie: " + "c".repeat(9000) + "\r\nHost: b.test\r\nX-Added: ? and caf\u00e9\r\n", written(big));
        assertEquals(expected, written(request(head)), "and the next one after it");

        // On a thread that has written none before: its section array grows as the fields need.
        String[] sections = new String[1];
        Thread fresh = new Thread(() -> sections[0] = written(request("Cookie: " + "j".repeat(5000) + "\r\n")));
        fresh.start();
        fresh.join(10_000);
        assertFalse(fresh.isAlive());
        assertEquals("Cookie: " + "j".repeat(5000) + "\r\n", sections[0]);

        // Fields of another kind go through their iterator, the same way.
        HttpHeaders other = new DefaultHttpHeaders().add("A", "1").add("b", "caf\u00e9");
        assertEquals("A: 1\r\nb: caf\u00e9\r\n", written(other));
    }

    @Test
    void obsFoldInAResponseIsUnfoldedToOneSpace() {
        HeadFields fields = parse(HeadSyntax.forResponses(),
                "HTTP/1.1 200 OK\r\nX-Fold: a\r\n  b\r\n\tc\r\nName  : v\r\nNext: n\n\r\n");
        assertEquals("a b c", fields.get("x-fold"));
        assertEquals("v", fields.get("name"), "whitespace before a response's colon is not part of the name");
        assertEquals(List.of("X-Fold=a b c", "Name=v", "Next=n"), order(fields));
        assertTrue(fields.containsValue("X-Fold", "a b c", false));
        assertEquals("X-Fold: a b c\r\nName: v\r\nNext: n\r\n", written(fields));
    }

    @Test
    void withoutAFoldNothingIsRewritten() {
        HeadSyntax syntax = HeadSyntax.forResponses();
        HeadFields fields = parse(syntax, "HTTP/1.1 204 No Content\r\nA:  1 \r\n\r\n");
        assertFalse(syntax.folded());
        assertEquals("A: 1\r\n", written(fields));
    }

    @Test
    void onlyDecimalReadsOneLengthInPlaceAndRefusesAnythingElse() {
        assertEquals(1024, request("Content-Length: 1024\r\n").onlyDecimal("content-length"));
        assertEquals(0, request("content-length:0\r\n").onlyDecimal("Content-Length"));
        assertEquals(999_999_999_999_999_999L, request("Content-Length: 999999999999999999\r\n").onlyDecimal("content-length"));
        assertEquals(-1, request("Host: a\r\n").onlyDecimal("content-length"), "absent");
        assertEquals(-1, request("Content-Length: 5\r\nContent-Length: 5\r\n").onlyDecimal("content-length"), "two lines");
        assertEquals(-1, request("Content-Length: 5, 5\r\n").onlyDecimal("content-length"), "a list");
        assertEquals(-1, request("Content-Length: +5\r\n").onlyDecimal("content-length"), "a sign");
        assertEquals(-1, request("Content-Length: 1 2\r\n").onlyDecimal("content-length"), "a space inside");
        assertEquals(-1, request("Content-Length:\r\n").onlyDecimal("content-length"), "empty");
        assertEquals(-1, request("Content-Length: 1000000000000000000\r\n").onlyDecimal("content-length"), "19 digits");

        HeadFields edited = request("Content-Length: 5\r\n");
        edited.set("Content-Length", "42");
        assertEquals(42, edited.onlyDecimal("content-length"), "a value set in code");
        edited.remove("Content-Length");
        assertEquals(-1, edited.onlyDecimal("content-length"), "removed");
    }
}
