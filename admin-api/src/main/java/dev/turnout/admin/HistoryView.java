package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last minutes of traffic, one sample a second, as {@code GET /api/v1/history} serves it, so that the
 * status page opened in the middle of a deploy shows what came before.
 *
 * @param interval how far apart the samples are, e.g. {@code 1s}
 * @param backends per {@code "pool/id"}
 * @param pools    per pool name: every request routed to the pool
 */
public record HistoryView(String interval, Map<String, Series> backends, Map<String, Series> pools) {

    public HistoryView {
        backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
        pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
    }

    /**
     * One pool's or backend's samples, oldest first; the i-th entry of each array belongs to the same second.
     *
     * @param t      when each sample was taken, in milliseconds since the epoch
     * @param rps    requests answered per second since the sample before
     * @param errors of those, how many were answered with a 5xx status
     * @param p95Ms  their 95th percentile duration in milliseconds; null for a second without requests
     */
    public record Series(long[] t, double[] rps, long[] errors, @JsonProperty("p95_ms") Double[] p95Ms) {
    }
}
