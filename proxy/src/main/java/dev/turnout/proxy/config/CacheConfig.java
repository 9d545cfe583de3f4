package dev.turnout.proxy.config;

import java.time.Duration;

/**
 * The response cache.
 *
 * @param maxSize       bytes of bodies and headers held at most
 * @param maxObjectSize larger answers stream through uncached
 * @param statusHeader  whether cacheable exchanges carry a {@code Cache-Status} field (RFC 9211)
 * @param heuristicMax  the longest freshness guessed from {@code Last-Modified} for an answer without explicit
 *                      freshness (RFC 9111 4.2.2); zero: such answers are not stored
 */
public record CacheConfig(boolean enabled, long maxSize, long maxObjectSize, boolean statusHeader, Duration heuristicMax) {
}
