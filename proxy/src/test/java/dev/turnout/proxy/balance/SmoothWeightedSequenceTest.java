package dev.turnout.proxy.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmoothWeightedSequenceTest {

    @Test
    void interleavesLikeNginx() {
        // nginx's documented example: weights 5, 1, 1 give a a b a c a a.
        SmoothWeightedSequence<String> sequence = SmoothWeightedSequence.of(List.of("a", "b", "c"), List.of(5, 1, 1));

        assertEquals(List.of("a", "a", "b", "a", "c", "a", "a"), sequence.cycle());
    }

    @Test
    void givesExactSharesOverWholeCycles() {
        SmoothWeightedSequence<String> sequence = SmoothWeightedSequence.of(List.of("big", "small"), List.of(3, 1));
        Map<String, Integer> counts = new HashMap<>();

        for (int i = 0; i < 400; i++) {
            counts.merge(sequence.next(), 1, Integer::sum);
        }

        assertEquals(Map.of("big", 300, "small", 100), counts);
    }

    @Test
    void reducesWeightsByTheirCommonDivisor() {
        SmoothWeightedSequence<String> sequence = SmoothWeightedSequence.of(List.of("stable", "canary"), List.of(95, 5));

        assertEquals(20, sequence.cycle().size());
        assertEquals(1, sequence.cycle().stream().filter("canary"::equals).count());
    }

    @Test
    void skipsZeroWeightsAndIsEmptyWhenAllAreZero() {
        assertEquals(List.of("on"), SmoothWeightedSequence.of(List.of("off", "on"), List.of(0, 2)).cycle());
        assertNull(SmoothWeightedSequence.of(List.of("a", "b"), List.of(0, 0)).next());
        assertNull(SmoothWeightedSequence.of(List.<String>of(), List.of()).next());
    }

    @Test
    void refusesNegativeWeights() {
        assertThrows(IllegalArgumentException.class, () -> SmoothWeightedSequence.of(List.of("a"), List.of(-1)));
    }
}
