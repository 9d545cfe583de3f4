package dev.turnout.proxy.config;

/**
 * The response cache.
 *
 * @param maxSize       bytes of bodies and headers held at most
 * @param maxObjectSize larger answers stream through uncached
 * @param statusHeader  whether cacheable exchanges carry a {@code Cache-Status} field (RFC 9211)
 */
public record CacheConfig(boolean enabled, long maxSize, long maxObjectSize, boolean statusHeader) {
}
