package dev.turnout.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The configuration's series: reloads by result, when the configuration in force was loaded, and its hash as
 * the label of an info gauge (Prometheus's own {@code prometheus_config_last_reload_success_timestamp_seconds}
 * and build-info idiom), so a dashboard sees which instances of a fleet run which configuration.
 */
public final class ReloadMetrics {

    /** How a reload ended. */
    public enum Result {
        /** In force. */
        SUCCESS,
        /** The configuration did not validate; nothing changed. */
        FAILURE,
        /** It changed a key only a restart can; nothing changed. */
        REFUSED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final Map<Result, Counter> reloads = new ConcurrentHashMap<>();
    private volatile double loadedSeconds;
    private Gauge info;

    /**
     * Registers the series, every result at zero.
     *
     * @param hash          the hash of the configuration read at start
     * @param loadedMillis  when it was read
     */
    public ReloadMetrics(MeterRegistry registry, String hash, long loadedMillis) {
        this.registry = registry;
        for (Result result : Result.values()) {
            reloads.put(result, Counter.builder("turnout.config.reloads")
                    .description("Configuration reloads (SIGHUP or POST /api/v1/config/reload) by result: success, "
                            + "failure (did not validate), refused (needs a restart)")
                    .tag("result", result.label()).register(registry));
        }
        this.loadedSeconds = loadedMillis / 1000.0;
        Gauge.builder("turnout.config.last.reload.success.timestamp", this, m -> m.loadedSeconds).baseUnit("seconds")
                .description("When the configuration in force was loaded (at start or by the last good reload), in seconds "
                        + "since the epoch").register(registry);
        this.info = info(hash);
    }

    /** Counts a reload; a successful one also moves the timestamp and the hash. */
    public synchronized void reloaded(Result result, String hash, long atMillis) {
        reloads.get(result).increment();
        if (result != Result.SUCCESS) {
            return;
        }
        loadedSeconds = atMillis / 1000.0;
        if (!info.getId().getTag("hash").equals(hash)) {
            registry.remove(info);
            info = info(hash);
        }
    }

    private Gauge info(String hash) {
        return Gauge.builder("turnout.config.info", () -> 1).description("Always 1; the hash label tells the configuration "
                + "in force").tag("hash", hash).register(registry);
    }
}
