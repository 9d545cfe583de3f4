package dev.turnout.proxy.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LatencyReservoirTest {

    @Test
    void keepsEveryDurationUntilFullSorted() {
        LatencyReservoir reservoir = new LatencyReservoir(8);
        reservoir.restart(); // an interval begins
        for (long millis : new long[] {30, 10, 20}) {
            reservoir.record(millis * 1_000_000);
        }
        assertArrayEquals(new double[] {0.010, 0.020, 0.030}, reservoir.samples(), 1e-12);
    }

    @Test
    void onceFullKeepsAUniformSampleOfTheBoundedSize() {
        LatencyReservoir reservoir = new LatencyReservoir(1000);
        reservoir.restart(); // an interval begins
        for (int i = 0; i < 100_000; i++) {
            reservoir.record(i * 1000L); // 0 to 99.999 ms in order: a sample of the first ones only would be biased
        }
        double[] samples = reservoir.samples();
        assertEquals(1000, samples.length);
        double median = samples[samples.length / 2];
        // The median of 1000 uniform draws from 0-100 ms lies within 45-55 ms but for odds of about 1 in 10^9.
        assertTrue(median > 0.045 && median < 0.055, "median " + median);
    }

    @Test
    void aRestartForgetsThePreviousInterval() {
        LatencyReservoir reservoir = new LatencyReservoir(4);
        reservoir.restart(); // an interval begins
        for (int i = 0; i < 10; i++) {
            reservoir.record(50_000_000);
        }
        reservoir.restart();
        assertEquals(0, reservoir.samples().length);
        reservoir.record(1_000_000);
        assertArrayEquals(new double[] {0.001}, reservoir.samples(), 1e-12);
    }

    @Test
    void outsideAnIntervalNothingIsSampled() {
        LatencyReservoir reservoir = new LatencyReservoir(4);
        reservoir.record(1_000_000);
        assertEquals(0, reservoir.samples().length, "before the first interval");
        reservoir.restart();
        reservoir.record(2_000_000);
        reservoir.stop();
        reservoir.record(3_000_000);
        assertArrayEquals(new double[] {0.002}, reservoir.samples(), 1e-9);
    }
}
