package dev.turnout.admin;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * This Turnout process, as the status page heads it.
 *
 * @param version           the release, as {@code --version} prints it
 * @param startedMillis     when the process started, in milliseconds since the epoch
 * @param uptimeSeconds     how long it has run
 * @param clientConnections client connections open now, on every data-plane listener
 * @param cacheHitRatio     answers served from the cache (fresh or stale) among all cache lookups; null when
 *                          nothing was looked up yet, the cache is off, or metrics are off
 * @param configHash        the digest of the configuration in force
 * @param lastReload        the last configuration reload (SIGHUP or the admin call), or null when there was none
 */
@JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
public record InstanceView(String version, long startedMillis, long uptimeSeconds, int clientConnections,
        Double cacheHitRatio, String configHash, ReloadStatus lastReload) {
}
