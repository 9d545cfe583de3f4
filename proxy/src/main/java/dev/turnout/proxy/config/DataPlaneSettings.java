package dev.turnout.proxy.config;

/**
 * The settings that travel with each routing snapshot: a connection takes the client timeouts, limits and
 * compression in force when it is accepted, a request the response timeout and header count when it starts,
 * so a reload changes them for what comes next and never under what runs.
 */
public record DataPlaneSettings(Timeouts timeouts, ClientLimits limits, CompressionConfig compression, CacheConfig cache) {
}
