package dev.turnout.proxy.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * A deterministic byte stream of any length, generated on the fly: byte {@code i} is
 * {@code BLOCK[i % BLOCK.length]}. The block length is prime, so a lost, repeated or reordered
 * piece of a transfer changes the checksum unless it happens to be a multiple of it.
 */
final class PatternBytes {

    private static final byte[] BLOCK = new byte[65_521];

    static {
        new Random(20_261_126L).nextBytes(BLOCK);
    }

    private PatternBytes() {
    }

    /** Writes {@code length} pattern bytes to {@code out}, starting at offset 0. */
    static void write(OutputStream out, long length) throws IOException {
        write(out, 0, length);
    }

    /** Writes the {@code length} pattern bytes that start at {@code offset}. */
    static void write(OutputStream out, long offset, long length) throws IOException {
        int start = (int) (offset % BLOCK.length);
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(left, BLOCK.length - start);
            out.write(BLOCK, start, n);
            left -= n;
            start = 0;
        }
    }

    /** The CRC32 of the first {@code length} pattern bytes. */
    static long crc(long length) {
        CRC32 crc = new CRC32();
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(left, BLOCK.length);
            crc.update(BLOCK, 0, n);
            left -= n;
        }
        return crc.getValue();
    }

    /** Byte count and CRC32 of whatever went through; the bytes are not kept. */
    static final class Tally {

        private final CRC32 crc = new CRC32();
        private long count;

        void update(byte[] bytes, int offset, int length) {
            crc.update(bytes, offset, length);
            count += length;
        }

        /** Reads {@code in} to its end. */
        Tally consume(InputStream in) throws IOException {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                update(buffer, 0, n);
            }
            return this;
        }

        long count() {
            return count;
        }

        long crc() {
            return crc.getValue();
        }

        /** The summary the backend answers an upload with, and the tests compare. */
        String summary() {
            return summary(count, crc());
        }

        static String summary(long count, long crc) {
            return "bytes=" + count + " crc32=" + Long.toHexString(crc);
        }
    }
}
