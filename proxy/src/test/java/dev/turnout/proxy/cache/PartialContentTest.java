package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The runs held of an incomplete answer: how parts join, and what they can answer. */
class PartialContentTest {

    private static final String WHOLE = "0123456789";

    /** Bytes {@code first} to {@code last} of {@link #WHOLE}. */
    private static byte[] bytes(int first, int last) {
        return WHOLE.substring(first, last + 1).getBytes(StandardCharsets.US_ASCII);
    }

    private static PartialContent parts(int... firstLastPairs) {
        PartialContent parts = PartialContent.of(WHOLE.length(), firstLastPairs[0], bytes(firstLastPairs[0], firstLastPairs[1]));
        for (int i = 2; i < firstLastPairs.length; i += 2) {
            parts = parts.with(firstLastPairs[i], bytes(firstLastPairs[i], firstLastPairs[i + 1]));
        }
        return parts;
    }

    private static String runs(PartialContent parts) {
        StringBuilder text = new StringBuilder();
        for (PartialContent.Run run : parts.runs()) {
            text.append('[').append(run.first()).append(':').append(new String(run.bytes(), StandardCharsets.US_ASCII))
                    .append(']');
        }
        return text.toString();
    }

    @Test
    void separateRangesStaySeparateAndSorted() {
        PartialContent parts = parts(6, 7, 0, 1, 3, 4);
        assertEquals("[0:01][3:34][6:67]", runs(parts));
        assertFalse(parts.complete());
        assertEquals(6, parts.size());
    }

    @Test
    void overlappingAndAdjacentRangesJoin() {
        assertEquals("[0:012345]", runs(parts(0, 3, 2, 5)), "overlapping");
        assertEquals("[0:012345]", runs(parts(0, 2, 3, 5)), "adjacent");
        assertEquals("[0:012345]", runs(parts(2, 5, 0, 3)), "the later part first");
        assertEquals("[0:012345]", runs(parts(0, 5, 1, 2)), "a part within another adds nothing");
        assertEquals("[1:12345678]", runs(parts(1, 2, 7, 8, 2, 7)), "one part bridges two runs");
    }

    @Test
    void theWholeIsOneRunFromZero() {
        PartialContent parts = parts(5, 9, 0, 4);
        assertTrue(parts.complete());
        assertArrayEquals(WHOLE.getBytes(StandardCharsets.US_ASCII), parts.runs().get(0).bytes());
        assertFalse(parts(0, 8).complete(), "one byte short");
        assertFalse(parts(1, 9).complete(), "not from zero");
    }

    @Test
    void aRangeIsHeldOnlyWhenOneRunHoldsAllOfIt() {
        PartialContent parts = parts(0, 3, 6, 9);
        assertEquals(0, parts.holding(1, 3).first());
        assertEquals(6, parts.holding(6, 9).first());
        assertNull(parts.holding(3, 6), "across the gap");
        assertNull(parts.holding(4, 5), "in the gap");
    }

    @Test
    void joiningLeavesTheOriginalsUnchanged() {
        PartialContent first = parts(0, 3);
        first.with(4, bytes(4, 9));
        assertEquals("[0:0123]", runs(first));
    }
}
