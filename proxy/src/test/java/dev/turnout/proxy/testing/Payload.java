package dev.turnout.proxy.testing;

import java.util.zip.CRC32;

/**
 * Deterministic, non-repeating test bytes: the byte at position {@code p} of a payload depends on
 * {@code p} only, so a body can be generated in pieces and checked without keeping it in memory.
 * Lost, duplicated or reordered pieces change the checksum.
 */
public final class Payload {

    private Payload() {
    }

    /** Fills {@code dst[0..length)} with the payload's bytes from {@code offset} on. */
    public static void fill(byte[] dst, int length, long offset) {
        for (int i = 0; i < length; i++) {
            long p = offset + i;
            dst[i] = (byte) (mix(p >>> 3) >>> ((p & 7) * 8));
        }
    }

    /** The CRC-32 of the first {@code length} payload bytes. */
    public static long crc32(long length) {
        CRC32 crc = new CRC32();
        byte[] block = new byte[64 * 1024];
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(block.length, length - done);
            fill(block, n, done);
            crc.update(block, 0, n);
            done += n;
        }
        return crc.getValue();
    }

    private static long mix(long z) {
        z += 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
