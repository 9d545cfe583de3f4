package dev.turnout.proxy.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * The byte ranges held of one representation whose whole the cache has not seen (RFC 9111 3.3):
 * sorted, each a run of bytes that touches no other. Immutable; a new part makes a new one, with
 * overlapping and adjacent runs joined, so that the whole shows as one run from 0.
 *
 * @param length the representation's complete length, from the parts' {@code Content-Range}
 */
record PartialContent(long length, List<Run> runs) {

    /** Bytes {@code first} to {@code first + bytes.length - 1} of the representation. */
    record Run(long first, byte[] bytes) {

        long last() {
            return first + bytes.length - 1;
        }
    }

    PartialContent {
        runs = List.copyOf(runs);
    }

    static PartialContent of(long length, long first, byte[] bytes) {
        return new PartialContent(length, List.of(new Run(first, bytes)));
    }

    /**
     * These runs and one more (a part of the same representation: where they overlap, the bytes
     * are the same, RFC 9110 15.3.7.3).
     */
    PartialContent with(long first, byte[] bytes) {
        List<Run> all = new ArrayList<>(runs.size() + 1);
        Run added = new Run(first, bytes);
        boolean placed = false;
        for (Run run : runs) {
            if (!placed && added.first() < run.first()) {
                all.add(added);
                placed = true;
            }
            all.add(run);
        }
        if (!placed) {
            all.add(added);
        }
        List<Run> joined = new ArrayList<>(all.size());
        Run current = all.get(0);
        for (int i = 1; i < all.size(); i++) {
            Run next = all.get(i);
            if (next.first() > current.last() + 1) {
                joined.add(current);
                current = next;
            } else if (next.last() > current.last()) {
                current = join(current, next);
            }
        }
        joined.add(current);
        return new PartialContent(length, joined);
    }

    /** {@code later} starts within or right after {@code earlier} and ends past it. */
    private static Run join(Run earlier, Run later) {
        byte[] bytes = new byte[(int) (later.last() - earlier.first() + 1)];
        System.arraycopy(earlier.bytes(), 0, bytes, 0, earlier.bytes().length);
        int skip = (int) (earlier.last() + 1 - later.first());
        System.arraycopy(later.bytes(), skip, bytes, earlier.bytes().length, later.bytes().length - skip);
        return new Run(earlier.first(), bytes);
    }

    /** Whether the runs make the whole representation. */
    boolean complete() {
        return runs.size() == 1 && runs.get(0).first() == 0 && runs.get(0).bytes().length == length;
    }

    /** The run that holds bytes {@code first} to {@code last}, or null when none holds them all. */
    Run holding(long first, long last) {
        for (Run run : runs) {
            if (run.first() <= first && last <= run.last()) {
                return run;
            }
        }
        return null;
    }

    /** Bytes held. */
    long size() {
        long size = 0;
        for (Run run : runs) {
            size += run.bytes().length;
        }
        return size;
    }
}
