package dev.turnout.proxy.config;

/**
 * The response cache.
 *
 * @param maxSize       bytes of bodies and headers held at most
 * @param maxObjectSize larger answers stream through uncached
 */
public record CacheConfig(boolean enabled, long maxSize, long maxObjectSize) {
}
