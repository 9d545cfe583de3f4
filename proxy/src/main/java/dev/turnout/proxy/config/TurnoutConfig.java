package dev.turnout.proxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole validated configuration, immutable. Read at start, and again by each reload, which swaps in
 * a new one.
 *
 * @param tls       the TLS listener, or null for none
 * @param stateFile where runtime changes are saved, or null to keep them in memory only; with an etcd
 *                  store, where the last state applied is kept for a start while etcd is unreachable
 * @param state     where runtime changes are shared with other instances, if anywhere
 * @param dns       where pools with discovery look their names up
 * @param metricsEnabled whether requests are counted for /metrics (and rollouts)
 * @param clientAddress  PROXY protocol and trusted proxies: where the client's address comes from
 * @param hash      a digest of the configuration as read, which tells two configurations apart
 */
public record TurnoutConfig(
        HostPort listen,
        TlsConfig tls,
        int ioThreads,
        AdminConfig admin,
        Path stateFile,
        StateStoreConfig state,
        Map<String, PoolConfig> pools,
        DnsConfig dns,
        List<RouteConfig> routes,
        Timeouts timeouts,
        ClientLimits limits,
        CompressionConfig compression,
        CacheConfig cache,
        boolean metricsEnabled,
        AccessLogConfig accessLog,
        Duration shutdownGrace,
        ClientAddressConfig clientAddress,
        String hash) {

    public TurnoutConfig {
        pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        routes = List.copyOf(routes);
    }

    /** The settings the data plane reads per connection and per request, which a reload swaps with the routes. */
    public DataPlaneSettings settings() {
        return new DataPlaneSettings(timeouts, limits, compression, cache);
    }

    /** The event loop count to use: {@code io-threads}, or one per core when it is 0. */
    public int effectiveIoThreads() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }
}
