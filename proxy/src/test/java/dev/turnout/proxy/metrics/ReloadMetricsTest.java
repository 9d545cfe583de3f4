package dev.turnout.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class ReloadMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ReloadMetrics metrics = new ReloadMetrics(registry, "aaaa", 5_000);

    private double count(String result) {
        return registry.get("turnout.config.reloads").tag("result", result).counter().count();
    }

    private double loaded() {
        return registry.get("turnout.config.last.reload.success.timestamp").gauge().value();
    }

    @Test
    void everyResultIsThereFromTheStartAndTheStartCountsAsTheLastLoad() {
        assertEquals(0, count("success"));
        assertEquals(0, count("failure"));
        assertEquals(0, count("refused"));
        assertEquals(5.0, loaded());
        assertEquals(1, registry.get("turnout.config.info").tag("hash", "aaaa").gauge().value());
    }

    @Test
    void aRefusedReloadMovesNeitherTheTimeNorTheHash() {
        metrics.reloaded(ReloadMetrics.Result.FAILURE, "aaaa", 9_000);
        metrics.reloaded(ReloadMetrics.Result.REFUSED, "aaaa", 9_500);

        assertEquals(1, count("failure"));
        assertEquals(1, count("refused"));
        assertEquals(5.0, loaded());
    }

    @Test
    void aGoodReloadMovesTheTimeAndReplacesTheHashSeries() {
        metrics.reloaded(ReloadMetrics.Result.SUCCESS, "bbbb", 12_500);

        assertEquals(1, count("success"));
        assertEquals(12.5, loaded());
        assertEquals(1, registry.get("turnout.config.info").tag("hash", "bbbb").gauge().value());
        assertNull(registry.find("turnout.config.info").tag("hash", "aaaa").gauge(), "one hash series at a time");
    }
}
