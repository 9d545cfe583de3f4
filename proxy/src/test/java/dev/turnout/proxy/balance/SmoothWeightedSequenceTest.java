package dev.turnout.proxy.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SmoothWeightedSequenceTest {

    private static <T> SmoothWeightedSequence<T> sequence(List<T> members, List<Integer> weights) {
        return SmoothWeightedSequence.of(members, weights, new AtomicLong());
    }

    @Test
    void interleavesLikeNginx() {
        // nginx's documented example: weights 5, 1, 1 give a a b a c a a.
        SmoothWeightedSequence<String> sequence = sequence(List.of("a", "b", "c"), List.of(5, 1, 1));

        assertEquals(List.of("a", "a", "b", "a", "c", "a", "a"), sequence.cycle());
    }

    @Test
    void givesExactSharesOverWholeCycles() {
        SmoothWeightedSequence<String> sequence = sequence(List.of("big", "small"), List.of(3, 1));
        Map<String, Integer> counts = new HashMap<>();

        for (int i = 0; i < 400; i++) {
            counts.merge(sequence.next(), 1, Integer::sum);
        }

        assertEquals(Map.of("big", 300, "small", 100), counts);
    }

    @Test
    void reducesWeightsByTheirCommonDivisor() {
        SmoothWeightedSequence<String> sequence = sequence(List.of("stable", "canary"), List.of(95, 5));

        assertEquals(20, sequence.cycle().size());
        assertEquals(1, sequence.cycle().stream().filter("canary"::equals).count());
    }

    @Test
    void aSequenceBuiltAgainOnTheSameCursorGoesOnWhereTheLastStopped() {
        // A snapshot published every few requests (health, slow start) must not start the order over each time:
        // the canary, late in the order, would get nothing.
        AtomicLong cursor = new AtomicLong();
        Map<String, Integer> counts = new HashMap<>();

        for (int snapshot = 0; snapshot < 200; snapshot++) {
            SmoothWeightedSequence<String> sequence = SmoothWeightedSequence.of(List.of("stable", "canary"),
                    List.of(95, 5), cursor);
            for (int i = 0; i < 3; i++) {
                counts.merge(sequence.next(), 1, Integer::sum);
            }
        }

        assertEquals(Map.of("stable", 570, "canary", 30), counts);
    }

    @Test
    void skipsZeroWeightsAndIsEmptyWhenAllAreZero() {
        assertEquals(List.of("on"), sequence(List.of("off", "on"), List.of(0, 2)).cycle());
        assertNull(sequence(List.of("a", "b"), List.of(0, 0)).next());
        assertNull(sequence(List.<String>of(), List.of()).next());
    }

    @Test
    void refusesNegativeWeights() {
        assertThrows(IllegalArgumentException.class, () -> sequence(List.of("a"), List.of(-1)));
    }
}
