package dev.turnout.proxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a reload would change outside pools and routes, key by key: the keys only a restart can change, and
 * the settings that change live.
 *
 * <p>Needing a restart: what is bound or built once for the life of the process. The listeners
 * ({@code turnout.listen}, {@code turnout.tls.*}, {@code turnout.admin.*}: sockets, certificates chosen by
 * SNI, the admin server's tokens and Host names), the event loops ({@code io-threads}), where runtime state is
 * kept ({@code state-file}, {@code state.*}), {@code metrics.enabled} (the registry and the rollout judge) and
 * {@code cache.enabled} (the cache's memory and metrics). Files named there are still re-read on their own:
 * certificates and token files when they change on disk.
 */
public final class ConfigDiff {

    private ConfigDiff() {
    }

    /** A key whose change needs a restart, with its value in force and the one read. */
    public record Restart(String key, String problem) {
    }

    /** The keys {@code next} changes that only a restart can, each with what it would change; empty when none. */
    public static List<Restart> needingRestart(TurnoutConfig current, TurnoutConfig next) {
        List<Restart> keys = new ArrayList<>();
        restart(keys, "turnout.listen", current, next, TurnoutConfig::listen);
        restart(keys, "turnout.io-threads", current, next, TurnoutConfig::ioThreads);
        if ((current.tls() == null) != (next.tls() == null)) {
            keys.add(new Restart("turnout.tls", (current.tls() == null ? "added" : "removed")
                    + ": the TLS listener opens or closes only at start; restart Turnout (see --takeover)"));
        } else if (current.tls() != null) {
            restart(keys, "turnout.tls.listen", current.tls(), next.tls(), TlsConfig::listen);
            restart(keys, "turnout.tls.certificates", current.tls(), next.tls(), TlsConfig::certificates);
            restart(keys, "turnout.tls.redirect-http", current.tls(), next.tls(), TlsConfig::redirectHttp);
        }
        AdminConfig admin = current.admin();
        AdminConfig nextAdmin = next.admin();
        restart(keys, "turnout.admin.listen", admin, nextAdmin, AdminConfig::listen);
        // The token values are never shown, only that they changed.
        if (!admin.tokens().equals(nextAdmin.tokens())) {
            keys.add(new Restart("turnout.admin.tokens", "the admin tokens (token, token-file, tokens) changed: a restart "
                    + "puts them in force (a token file's contents are re-read on their own)"));
        }
        restart(keys, "turnout.admin.hosts", admin, nextAdmin, AdminConfig::hosts);
        restart(keys, "turnout.admin.insecure", admin, nextAdmin, AdminConfig::insecure);
        restart(keys, "turnout.admin.tls", admin, nextAdmin, AdminConfig::tls);
        restart(keys, "turnout.state-file", current, next, TurnoutConfig::stateFile);
        restart(keys, "turnout.state", current, next, TurnoutConfig::state);
        restart(keys, "turnout.metrics.enabled", current, next, TurnoutConfig::metricsEnabled);
        restart(keys, "turnout.cache.enabled", current.cache(), next.cache(), CacheConfig::enabled);
        // Read once, when the listeners open and the access log's file is opened.
        restart(keys, "turnout.access-log", current, next, TurnoutConfig::accessLog);
        restart(keys, "turnout.proxy-protocol", current.clientAddress(), next.clientAddress(),
                ClientAddressConfig::proxyProtocol);
        restart(keys, "turnout.trusted-proxies", current.clientAddress(), next.clientAddress(),
                ClientAddressConfig::trustedProxies);
        restart(keys, "turnout.dns.resolvers", current, next, TurnoutConfig::dns);
        // A pool's backends stay the same objects across a reload, with their pooled connections of one kind.
        current.pools().forEach((name, pool) -> {
            PoolConfig wanted = next.pools().get(name);
            if (wanted != null && !pool.transport().equals(wanted.transport())) {
                keys.add(new Restart("turnout.pools." + name + ".protocol", "the pool's protocol or tls changed: its "
                        + "backends' connections are of one kind for their life; restart (--takeover), or add a pool "
                        + "under a new name and move the route's split to it"));
            }
        });
        return keys;
    }

    /**
     * The live settings {@code next} changes, as keys (a section when several of its keys changed together is
     * still listed key by key); pools and routes are reported apart.
     */
    public static List<String> settingsChanged(TurnoutConfig current, TurnoutConfig next) {
        List<String> keys = new ArrayList<>();
        Timeouts t = current.timeouts();
        Timeouts u = next.timeouts();
        changed(keys, "turnout.timeouts.connect", t, u, Timeouts::connect);
        changed(keys, "turnout.timeouts.request", t, u, Timeouts::request);
        changed(keys, "turnout.timeouts.idle", t, u, Timeouts::idle);
        changed(keys, "turnout.timeouts.header-read", t, u, Timeouts::headerRead);
        changed(keys, "turnout.timeouts.body-read", t, u, Timeouts::bodyRead);
        changed(keys, "turnout.timeouts.tunnel-drain", t, u, Timeouts::tunnelDrain);
        ClientLimits l = current.limits();
        ClientLimits m = next.limits();
        changed(keys, "turnout.limits.request-line", l, m, ClientLimits::requestLine);
        changed(keys, "turnout.limits.header-size", l, m, ClientLimits::headerSize);
        changed(keys, "turnout.limits.header-count", l, m, ClientLimits::headerCount);
        changed(keys, "turnout.limits.connections", l, m, ClientLimits::connections);
        changed(keys, "turnout.limits.http2.max-concurrent-streams", l, m, ClientLimits::http2Streams);
        changed(keys, "turnout.limits.http2.initial-window-size", l, m, ClientLimits::http2Window);
        changed(keys, "turnout.limits.http2.connection-window-size", l, m, ClientLimits::http2ConnectionWindow);
        CompressionConfig z = current.compression();
        CompressionConfig y = next.compression();
        changed(keys, "turnout.compression.enabled", z, y, CompressionConfig::enabled);
        changed(keys, "turnout.compression.min-length", z, y, CompressionConfig::minLength);
        changed(keys, "turnout.compression.types", z, y, CompressionConfig::types);
        changed(keys, "turnout.compression.gzip-level", z, y, CompressionConfig::gzipLevel);
        changed(keys, "turnout.compression.brotli-quality", z, y, CompressionConfig::brotliQuality);
        changed(keys, "turnout.compression.zstd-level", z, y, CompressionConfig::zstdLevel);
        changed(keys, "turnout.cache.max-size", current.cache(), next.cache(), CacheConfig::maxSize);
        changed(keys, "turnout.cache.max-object-size", current.cache(), next.cache(), CacheConfig::maxObjectSize);
        changed(keys, "turnout.cache.status-header", current.cache(), next.cache(), CacheConfig::statusHeader);
        changed(keys, "turnout.cache.heuristic-max", current.cache(), next.cache(), CacheConfig::heuristicMax);
        changed(keys, "turnout.shutdown.grace", current, next, TurnoutConfig::shutdownGrace);
        return keys;
    }

    private static <T> void restart(List<Restart> keys, String key, T current, T next, Function<T, Object> value) {
        Object now = value.apply(current);
        Object wanted = value.apply(next);
        if (!Objects.equals(now, wanted)) {
            keys.add(new Restart(key, now + " -> " + wanted + ": only a restart can change it (see --takeover for one "
                    + "without a dropped request)"));
        }
    }

    private static <T> void changed(List<String> keys, String key, T current, T next, Function<T, Object> value) {
        if (!Objects.equals(value.apply(current), value.apply(next))) {
            keys.add(key);
        }
    }
}
