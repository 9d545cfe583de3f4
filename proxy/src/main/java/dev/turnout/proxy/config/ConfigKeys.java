package dev.turnout.proxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every configuration key the loader accepts, section by section: the one list that {@link ConfigLoader}
 * and {@link AdminConfigReader} refuse unknown keys by, and that the configuration reference
 * ({@code docs/configuration.md}) is checked against. A section's path is a template: {@code <name>} stands
 * for a map key chosen by the user (a pool's name), {@code []} for any element of a list.
 */
public final class ConfigKeys {

    /** One object of the configuration and the keys it may hold. */
    public record Section(String path, Set<String> keys) {

        public Section {
            keys = Set.copyOf(keys);
        }

        /** The section's keys as full paths, e.g. {@code turnout.timeouts.connect}. */
        public List<String> paths() {
            return new TreeSet<>(keys).stream().map(key -> path + "." + key).toList();
        }
    }

    static final Section TOP = new Section("turnout", Set.of("listen", "io-threads", "admin", "state-file", "state",
            "pools", "routes", "timeouts", "compression", "cache", "metrics", "limits", "shutdown", "tls", "defaults",
            "access-log", "proxy-protocol", "trusted-proxies", "dns"));
    static final Section ADMIN = new Section("turnout.admin", Set.of("listen", "token", "token-file", "tokens", "hosts",
            "insecure", "tls"));
    static final Section ADMIN_TOKEN = new Section("turnout.admin.tokens[]", Set.of("name", "token-file", "role"));
    static final Section ADMIN_TLS = new Section("turnout.admin.tls", Set.of("cert", "key", "client-ca"));
    static final Section STATE = new Section("turnout.state", Set.of("store", "etcd"));
    static final Section ETCD = new Section("turnout.state.etcd", Set.of("endpoints", "prefix", "instance", "timeout",
            "lease-ttl"));
    static final Section TIMEOUTS = new Section("turnout.timeouts", Set.of("connect", "request", "idle", "header-read",
            "body-read", "tunnel-drain"));
    static final Section LIMITS = new Section("turnout.limits", Set.of("request-line", "header-size", "header-count",
            "connections", "http2"));
    static final Section LIMITS_HTTP2 = new Section("turnout.limits.http2", Set.of("max-concurrent-streams",
            "initial-window-size", "connection-window-size"));
    static final Section SHUTDOWN = new Section("turnout.shutdown", Set.of("grace"));
    static final Section ACCESS_LOG = new Section("turnout.access-log", Set.of("file", "format"));
    static final Section METRICS = new Section("turnout.metrics", Set.of("enabled"));
    static final Section CACHE = new Section("turnout.cache", Set.of("enabled", "max-size", "max-object-size",
            "status-header", "heuristic-max"));
    static final Section COMPRESSION = new Section("turnout.compression", Set.of("enabled", "min-length", "types",
            "gzip-level", "brotli-quality", "zstd-level"));
    static final Section TLS = new Section("turnout.tls", Set.of("listen", "certificates", "redirect-http"));
    static final Section TLS_CERTIFICATE = new Section("turnout.tls.certificates[]", Set.of("cert", "key"));
    static final Section POOL = new Section("turnout.pools.<name>", Set.of("balancer", "backends", "discovery", "health-check",
            "retries", "retry-budget", "passive-ejection", "slow-start", "max-connections", "max-pending", "protocol", "tls"));
    static final Section POOL_TLS = new Section("turnout.pools.<name>.tls", Set.of("ca", "server-name", "verify", "cert",
            "key"));
    static final Section DISCOVERY = new Section("turnout.pools.<name>.discovery", Set.of("dns", "port", "type", "interval"));
    static final Section DNS = new Section("turnout.dns", Set.of("resolvers"));
    /** What {@code turnout.defaults} gives every pool: the pool's keys that are not its own identity. */
    static final Section DEFAULTS = new Section("turnout.defaults", Set.of("health-check", "retries", "retry-budget",
            "passive-ejection", "slow-start", "max-connections", "max-pending"));
    static final Section BACKEND = new Section("turnout.pools.<name>.backends[]", Set.of("id", "address", "weight"));
    static final Section HEALTH_CHECK = new Section("turnout.pools.<name>.health-check", Set.of("path", "interval",
            "timeout", "healthy-threshold", "unhealthy-threshold", "expected-status", "type", "grpc-service"));
    static final Section PASSIVE_EJECTION = new Section("turnout.pools.<name>.passive-ejection",
            Set.of("consecutive-failures", "base-time", "max-ejection-percent"));
    static final Section ROUTE = new Section("turnout.routes[]", Set.of("name", "host", "path-prefix", "split", "cache",
            "sticky", "pool-header", "max-body-size", "retry-methods", "allow", "deny", "redirect", "rate-limit",
            "request-headers", "response-headers", "rewrite"));
    static final Section STICKY = new Section("turnout.routes[].sticky", Set.of("cookie", "header"));
    static final Section REDIRECT = new Section("turnout.routes[].redirect", Set.of("to", "status"));
    static final Section RATE_LIMIT = new Section("turnout.routes[].rate-limit", Set.of("rate", "burst", "key", "max-keys"));
    static final Section REQUEST_HEADERS = new Section("turnout.routes[].request-headers", Set.of("set", "add", "remove"));
    static final Section RESPONSE_HEADERS = new Section("turnout.routes[].response-headers", Set.of("set", "add", "remove"));
    static final Section REWRITE = new Section("turnout.routes[].rewrite", Set.of("strip-prefix", "regex", "replacement"));

    private static final List<Section> ALL = List.of(TOP, ADMIN, ADMIN_TOKEN, ADMIN_TLS, STATE, ETCD, TIMEOUTS, LIMITS,
            LIMITS_HTTP2, SHUTDOWN, ACCESS_LOG, METRICS, CACHE, COMPRESSION, TLS, TLS_CERTIFICATE, POOL, POOL_TLS, DISCOVERY, DNS,
            DEFAULTS, BACKEND, HEALTH_CHECK, PASSIVE_EJECTION, ROUTE, STICKY, REDIRECT, RATE_LIMIT, REQUEST_HEADERS,
            RESPONSE_HEADERS, REWRITE);

    private ConfigKeys() {
    }

    /** Every section the loader checks, each with the keys it accepts. */
    public static List<Section> sections() {
        return ALL;
    }

    /** Every accepted key as a full path template, sorted. */
    public static List<String> all() {
        List<String> paths = new ArrayList<>();
        ALL.forEach(section -> paths.addAll(section.paths()));
        return List.copyOf(new TreeSet<>(paths));
    }
}
