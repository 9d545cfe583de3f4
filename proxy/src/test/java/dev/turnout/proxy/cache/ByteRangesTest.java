package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** One byte range of a request (RFC 9110 14.1.2) and a 206's Content-Range (14.4). */
class ByteRangesTest {

    @ParameterizedTest(name = "Range \"{0}\" of 10 bytes is {1}-{2}")
    @CsvSource(delimiter = '|', textBlock = """
            bytes=2-5     | 2 | 5
            bytes=8-100   | 8 | 9
            bytes=3-      | 3 | 9
            bytes=-3      | 7 | 9
            bytes=-30     | 0 | 9
            BYTES= 1 - 2  | 1 | 2
            """)
    void oneRangeIsResolvedAgainstTheLength(String range, long first, long last) {
        assertArrayEquals(new long[] {first, last}, ByteRanges.requested(range, 10));
    }

    @ParameterizedTest(name = "Range \"{0}\" of 10 bytes cannot be satisfied")
    @ValueSource(strings = {"bytes=10-", "bytes=20-30", "bytes=-0"})
    void aRangePastTheEndIsUnsatisfiable(String range) {
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.requested(range, 10));
    }

    @ParameterizedTest(name = "Range \"{0}\" is not one byte range")
    @ValueSource(strings = {"bytes=0-1, 4-5", "items=0-1", "bytes=5-2", "bytes=-", "bytes=a-b", "bytes=--1", "bytes"})
    void anythingElseIsNotARange(String range) {
        assertNull(ByteRanges.requested(range, 10));
    }

    @ParameterizedTest(name = "Content-Range \"{0}\"")
    @CsvSource(delimiter = '|', textBlock = """
            bytes 0-4/10   | 0 | 4 | 10
            bytes 5-9/10   | 5 | 9 | 10
            bytes 0-0/1    | 0 | 0 | 1
            """)
    void aContentRangeGivesTheRangeAndTheCompleteLength(String value, long first, long last, long length) {
        assertArrayEquals(new long[] {first, last, length}, ByteRanges.contentRange(value));
    }

    @ParameterizedTest(name = "Content-Range \"{0}\" is not stored")
    @ValueSource(strings = {"bytes 0-4/*", "bytes */10", "bytes 5-4/10", "bytes 0-10/10", "bytes 0-4", "items 0-4/10",
        "bytes -1-4/10", "bytes 0-4/1x", "bytes 0-4/", "bytes 0-4/10 ", "bytes 0-4/9999999999999999999"})
    void aContentRangeWithoutAKnownLengthThatHoldsItIsRefused(String value) {
        assertNull(ByteRanges.contentRange(value));
    }
}
