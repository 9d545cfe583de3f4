package dev.turnout.proxy.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Smooth weighted round robin (nginx's algorithm) unrolled into a fixed sequence when the member
 * list is built, so a pick is one atomic increment and an array read, with no lock.
 *
 * <p>Weights 5,1,1 give {@code a a b a c a a}: exact shares over each cycle, evenly interleaved.
 * The cycle length is the sum of the weights divided by their greatest common divisor; weights
 * are bounded by the configuration, so the table stays small. Members with weight 0 never appear.
 *
 * @param <T> the member type (a backend, or a pool for a route's split)
 */
public final class SmoothWeightedSequence<T> {

    private final Object[] sequence;
    private final AtomicLong cursor;

    private SmoothWeightedSequence(Object[] sequence, AtomicLong cursor) {
        this.sequence = sequence;
        this.cursor = cursor;
    }

    /**
     * Builds the sequence; {@code weights.get(i)} is the weight of {@code members.get(i)}. The
     * {@code cursor} counts picks; a sequence built again for the same members (a new snapshot)
     * with the same cursor goes on where the last one was instead of starting over.
     */
    public static <T> SmoothWeightedSequence<T> of(List<T> members, List<Integer> weights, AtomicLong cursor) {
        if (members.size() != weights.size()) {
            throw new IllegalArgumentException("members: " + members.size() + ", weights: " + weights.size());
        }
        int n = members.size();
        int gcd = 0;
        for (int w : weights) {
            if (w < 0) {
                throw new IllegalArgumentException("weight: " + w + " (expected: 0 or more)");
            }
            gcd = gcd(gcd, w);
        }
        if (gcd == 0) {
            return new SmoothWeightedSequence<>(new Object[0], cursor);
        }
        int[] weight = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            weight[i] = weights.get(i) / gcd;
            total += weight[i];
        }
        if (total > 1_000_000) {
            throw new IllegalArgumentException("weights too large: cycle of " + total + " picks");
        }
        Object[] sequence = new Object[(int) total];
        long[] current = new long[n];
        for (int step = 0; step < total; step++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                current[i] += weight[i];
                if (weight[i] > 0 && (best < 0 || current[i] > current[best])) {
                    best = i;
                }
            }
            current[best] -= total;
            sequence[step] = members.get(best);
        }
        return new SmoothWeightedSequence<>(sequence, cursor);
    }

    /** The next member, or null when every weight is 0. */
    @SuppressWarnings("unchecked")
    public T next() {
        Object[] s = sequence;
        if (s.length == 0) {
            return null;
        }
        return (T) s[(int) Math.floorMod(cursor.getAndIncrement(), (long) s.length)];
    }

    /** Members in one cycle's order, for tests and diagnostics. */
    @SuppressWarnings("unchecked")
    public List<T> cycle() {
        return (List<T>) List.of(sequence);
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
