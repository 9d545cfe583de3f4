package dev.turnout.proxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads HOCON into a validated {@link TurnoutConfig}; with {@link AdminConfigReader} (the admin
 * section), the only class that touches Typesafe Config.
 *
 * <p>Layers, strongest first: {@code TURNOUT_*} environment variables, {@code -D} system
 * properties, the file ({@code --config FILE} or {@code -Dconfig.file}), then {@code reference.conf}.
 * Environment names follow Typesafe Config's {@code CONFIG_FORCE_} convention under the
 * {@code turnout} root: {@code _} is a dot, {@code __} a dash, {@code ___} an underscore, so
 * {@code TURNOUT_IO__THREADS=4} sets {@code turnout.io-threads}. A {@code TURNOUT_*} variable that names
 * no key is not configuration: {@link EnvironmentVariables} leaves it out with a warning.
 *
 * <p>Every part is read even after a problem is found ({@link ConfigProblems}), and loading then stops with
 * one {@link ConfigError} listing each problem with its key.
 */
public final class ConfigLoader {

    private static final String ROOT = "turnout";
    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

    private ConfigLoader() {
    }

    /**
     * Loads the layered configuration; {@code file} may be null to use only the other layers. Each call reads
     * every layer again (a reload): the file, {@code -Dconfig.file}, system properties and the environment.
     */
    public static TurnoutConfig load(File file) {
        if (file != null && !file.isFile()) {
            throw new ConfigError("--config " + file + ": no such file");
        }
        try {
            ConfigFactory.invalidateCaches();
            // This class's loader, not the thread's: a reload on SIGHUP runs on a thread that has none.
            ClassLoader loader = ConfigLoader.class.getClassLoader();
            Config base = file == null
                    ? ConfigFactory.load(loader)
                    : ConfigFactory.load(loader, ConfigFactory.parseFile(file, ConfigParseOptions.defaults()
                            .setAllowMissing(false).setClassLoader(loader)));
            return EnvironmentVariables.compile(base, System.getenv(), ConfigLoader::compile, LOG::warn);
        } catch (ConfigException e) {
            throw new ConfigError(e.getMessage());
        }
    }

    /** Compiles HOCON text layered over {@code reference.conf}; for tests and the demo. */
    public static TurnoutConfig parse(String hocon) {
        try {
            return compile(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve());
        } catch (ConfigException e) {
            throw new ConfigError(e.getMessage());
        }
    }

    static TurnoutConfig compile(Config root) {
        Config c = root.getConfig(ROOT);
        ConfigProblems problems = new ConfigProblems();
        problems.check(() -> requireKnownKeys(c.root(), ROOT, ConfigKeys.TOP.keys()));

        HostPort listen = problems.read(() -> HostPort.parse(ROOT + ".listen", string(c, ROOT, "listen"), true));
        Integer ioThreads = problems.read(() -> intIn(c, ROOT, "io-threads", 0, 1024));
        AdminConfig admin = problems.read(() -> AdminConfigReader.read(c));
        String stateFile = problems.read(() -> string(c, ROOT, "state-file").trim());
        StateStoreConfig state = problems.read(() -> state(c));
        TlsConfig tls = problems.read(() -> tls(c));

        Map<String, PoolConfig> pools = pools(c, problems);
        List<RouteConfig> routes = RouteConfigReader.read(c, problems);
        Timeouts timeouts = timeouts(c, problems);
        Duration grace = problems.read(() -> shutdownGrace(c));
        ClientLimits limits = problems.read(() -> limits(c));
        CompressionConfig compression = problems.read(() -> compression(c));
        CacheConfig cache = problems.read(() -> cache(c));
        Boolean metricsEnabled = problems.read(() -> metricsEnabled(c));
        DnsConfig dns = problems.read(() -> DiscoveryConfigReader.dns(c));
        AccessLogConfig accessLog = problems.read(() -> accessLog(c));
        ClientAddressConfig clientAddress = problems.read(() -> RoutePolicyReader.clientAddress(c, ROOT));
        problems.throwIfAny();
        return new TurnoutConfig(listen, tls, ioThreads, admin, stateFile.isEmpty() ? null : Path.of(stateFile), state,
                pools, dns, routes, timeouts, limits, compression, cache, metricsEnabled, accessLog, grace, clientAddress,
                hash(c));
    }

    /**
     * A digest of the configuration in force (the file, the environment, system properties and the defaults, as
     * read), to tell which configuration an instance runs. The admin token's value is left out: the digest is
     * served without a token on /metrics.
     */
    private static String hash(Config c) {
        String rendered = c.withoutPath("admin.token").root().render(ConfigRenderOptions.concise());
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(rendered.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static Timeouts timeouts(Config c, ConfigProblems problems) {
        String tk = ROOT + ".timeouts";
        Config t = problems.read(() -> object(c, ROOT, "timeouts").toConfig());
        if (t == null) {
            return null;
        }
        problems.check(() -> requireKnownKeys(t.root(), tk, ConfigKeys.TIMEOUTS.keys()));
        return new Timeouts(problems.read(() -> positive(t, tk, "connect")), problems.read(() -> positive(t, tk, "request")),
                problems.read(() -> positive(t, tk, "idle")), problems.read(() -> positive(t, tk, "header-read")),
                problems.read(() -> positive(t, tk, "body-read")), problems.read(() -> positive(t, tk, "tunnel-drain")));
    }

    private static Duration shutdownGrace(Config c) {
        requireKnownKeys(object(c, ROOT, "shutdown"), ROOT + ".shutdown", ConfigKeys.SHUTDOWN.keys());
        Duration grace = duration(c, ROOT, "shutdown.grace");
        if (grace.isNegative()) {
            throw ConfigError.of(ROOT + ".shutdown.grace", c.getValue("shutdown.grace").unwrapped(), "0s or more");
        }
        return grace;
    }

    private static AccessLogConfig accessLog(Config c) {
        String key = ROOT + ".access-log";
        Config a = object(c, ROOT, "access-log").toConfig();
        requireKnownKeys(a.root(), key, ConfigKeys.ACCESS_LOG.keys());
        String file = string(a, key, "file").trim();
        String format = string(a, key, "format");
        if (!format.equals("text") && !format.equals("json")) {
            throw ConfigError.of(key + ".format", format, "text or json");
        }
        return new AccessLogConfig(file.isEmpty() ? null : Path.of(file), format.equals("json"));
    }

    private static StateStoreConfig state(Config c) {
        String key = ROOT + ".state";
        Config s = object(c, ROOT, "state").toConfig();
        requireKnownKeys(s.root(), key, ConfigKeys.STATE.keys());
        String store = string(s, key, "store");
        if (store.equals("file")) {
            return StateStoreConfig.FILE;
        }
        if (!store.equals("etcd")) {
            throw ConfigError.of(key + ".store", store, "file or etcd");
        }
        String ek = key + ".etcd";
        Config e = object(s, key, "etcd").toConfig();
        requireKnownKeys(e.root(), ek, ConfigKeys.ETCD.keys());
        List<String> texts;
        try {
            texts = e.getStringList("endpoints");
        } catch (ConfigException.Missing | ConfigException.WrongType wrong) {
            throw new ConfigError(ek + ".endpoints: " + (e.hasPath("endpoints") ? e.getValue("endpoints").unwrapped() : "missing")
                    + " (expected: a list such as [\"http://10.0.0.5:2379\"])");
        }
        if (texts.isEmpty()) {
            throw ConfigError.of(ek + ".endpoints", List.of(), "at least one endpoint such as \"http://10.0.0.5:2379\"");
        }
        List<URI> endpoints = new ArrayList<>();
        for (String text : texts) {
            endpoints.add(etcdEndpoint(ek + ".endpoints", text));
        }
        String prefix = string(e, ek, "prefix");
        if (!prefix.matches("/[A-Za-z0-9._/-]*") || prefix.endsWith("/")) {
            throw ConfigError.of(ek + ".prefix", prefix, "a key path such as /turnout/prod (starting with /, not ending with /)");
        }
        String instance = string(e, ek, "instance").trim();
        if (instance.isEmpty()) {
            instance = defaultInstanceName();
        } else if (!Limits.validName(instance)) {
            throw ConfigError.of(ek + ".instance", instance, Limits.NAME_RULE);
        }
        Duration timeout = positive(e, ek, "timeout");
        Duration leaseTtl = duration(e, ek, "lease-ttl");
        if (leaseTtl.compareTo(Duration.ofSeconds(2)) < 0 || leaseTtl.compareTo(Duration.ofMinutes(10)) > 0) {
            throw ConfigError.of(ek + ".lease-ttl", e.getValue("lease-ttl").unwrapped(), "from 2s to 10m");
        }
        return new StateStoreConfig(new StateStoreConfig.Etcd(endpoints, prefix, instance, timeout, leaseTtl));
    }

    private static URI etcdEndpoint(String key, String text) {
        try {
            URI uri = new URI(text);
            if ("http".equals(uri.getScheme()) && uri.getHost() != null && uri.getPort() > 0
                    && (uri.getPath() == null || uri.getPath().isEmpty())) {
                return uri;
            }
        } catch (URISyntaxException ignored) {
            // reported below, as for any other unusable endpoint
        }
        throw ConfigError.of(key, text, "http://HOST:PORT, such as \"http://10.0.0.5:2379\"");
    }

    /** The host name and process id: unique on a host, and recognisable in GET .../backends/{id}. */
    private static String defaultInstanceName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException unknown) {
            host = "turnout";
        }
        String name = (host + "-" + ProcessHandle.current().pid()).replaceAll("[^A-Za-z0-9._-]", "-");
        return Limits.validName(name) ? name : "turnout-" + ProcessHandle.current().pid();
    }

    private static TlsConfig tls(Config c) {
        if (!c.hasPath("tls")) {
            return null;
        }
        String key = ROOT + ".tls";
        Config t = object(c, ROOT, "tls").toConfig();
        requireKnownKeys(t.root(), key, ConfigKeys.TLS.keys());
        HostPort listen = HostPort.parse(key + ".listen", t.hasPath("listen") ? string(t, key, "listen") : "0.0.0.0:8443", true);
        List<? extends ConfigObject> entries;
        try {
            entries = t.getObjectList("certificates");
        } catch (ConfigException.Missing | ConfigException.WrongType e) {
            throw new ConfigError(key + ".certificates: " + (t.hasPath("certificates") ? t.getValue("certificates").unwrapped()
                    : "missing") + " (expected: a list of { cert = FILE, key = FILE })");
        }
        if (entries.isEmpty()) {
            throw ConfigError.of(key + ".certificates", List.of(), "at least one { cert = FILE, key = FILE }");
        }
        List<TlsConfig.Certificate> certificates = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String entryKey = key + ".certificates[" + i + "]";
            Config entry = entries.get(i).toConfig();
            requireKnownKeys(entry.root(), entryKey, ConfigKeys.TLS_CERTIFICATE.keys());
            certificates.add(new TlsConfig.Certificate(readable(entry, entryKey, "cert"), readable(entry, entryKey, "key")));
        }
        return new TlsConfig(listen, certificates, t.hasPath("redirect-http") && bool(t, key, "redirect-http"));
    }

    static Path readable(Config c, String parentKey, String path) {
        String file = string(c, parentKey, path);
        if (!Files.isReadable(Path.of(file))) {
            throw ConfigError.of(parentKey + "." + path, file, "a readable PEM file");
        }
        return Path.of(file);
    }

    private static ClientLimits limits(Config c) {
        String key = ROOT + ".limits";
        Config l = c.getConfig("limits");
        requireKnownKeys(l.root(), key, ConfigKeys.LIMITS.keys());
        Config h2 = object(l, key, "http2").toConfig();
        String h2Key = key + ".http2";
        requireKnownKeys(h2.root(), h2Key, ConfigKeys.LIMITS_HTTP2.keys());
        return new ClientLimits((int) bytesIn(l, key, "request-line", 256, 1 << 20),
                (int) bytesIn(l, key, "header-size", 1024, 1 << 20), intIn(l, key, "header-count", 1, 10_000),
                intIn(l, key, "connections", 1, 10_000_000), intIn(h2, h2Key, "max-concurrent-streams", 1, 10_000),
                (int) bytesIn(h2, h2Key, "initial-window-size", 1024, Integer.MAX_VALUE),
                (int) bytesIn(h2, h2Key, "connection-window-size", 65_535, Integer.MAX_VALUE));
    }

    static long bytesIn(Config c, String parentKey, String path, long min, long max) {
        long bytes;
        try {
            bytes = c.getBytes(path);
        } catch (ConfigException.BadValue | ConfigException.WrongType e) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "a size such as 8KiB or 1MiB");
        }
        if (bytes < min || bytes > max) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "a size from " + min + " to " + max
                    + " bytes");
        }
        return bytes;
    }

    private static boolean metricsEnabled(Config c) {
        Config m = c.getConfig("metrics");
        requireKnownKeys(m.root(), ROOT + ".metrics", ConfigKeys.METRICS.keys());
        return bool(m, ROOT + ".metrics", "enabled");
    }

    private static CacheConfig cache(Config c) {
        String key = ROOT + ".cache";
        Config k = c.getConfig("cache");
        requireKnownKeys(k.root(), key, ConfigKeys.CACHE.keys());
        long maxSize = bytes(k, key, "max-size");
        long maxObject = bytes(k, key, "max-object-size");
        if (maxObject > maxSize) {
            throw ConfigError.of(key + ".max-object-size", k.getValue("max-object-size").unwrapped(),
                    "at most max-size (" + maxSize + " bytes)");
        }
        Duration heuristicMax = duration(k, key, "heuristic-max");
        if (heuristicMax.isNegative()) {
            throw ConfigError.of(key + ".heuristic-max", k.getValue("heuristic-max").unwrapped(), "0s or more");
        }
        return new CacheConfig(bool(k, key, "enabled"), maxSize, maxObject, bool(k, key, "status-header"), heuristicMax);
    }

    static boolean bool(Config c, String parentKey, String path) {
        try {
            return c.getBoolean(path);
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "true or false");
        }
    }

    private static long bytes(Config c, String parentKey, String path) {
        long value;
        try {
            value = c.getBytes(path);
        } catch (ConfigException.BadValue | ConfigException.WrongType e) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "a size such as 256MiB");
        }
        if (value < 0) {
            throw ConfigError.of(parentKey + "." + path, value, "a size of 0 or more");
        }
        return value;
    }

    private static CompressionConfig compression(Config c) {
        String key = ROOT + ".compression";
        Config z = c.getConfig("compression");
        requireKnownKeys(z.root(), key, ConfigKeys.COMPRESSION.keys());
        boolean enabled;
        List<String> types;
        try {
            enabled = z.getBoolean("enabled");
            types = z.getStringList("types");
        } catch (ConfigException.WrongType e) {
            throw new ConfigError(key + ": " + e.getMessage() + " (expected: enabled = true|false, types = [\"text/*\", ...])");
        }
        for (String type : types) {
            if (!type.matches("[a-z0-9.+-]+/(\\*|[a-z0-9.+-]+)|\\*\\+[a-z0-9.-]+")) {
                throw ConfigError.of(key + ".types", type, "a media type such as application/json, text/* or *+json");
            }
        }
        return new CompressionConfig(enabled, intIn(z, key, "min-length", 0, Integer.MAX_VALUE), types,
                intIn(z, key, "gzip-level", 1, 9), intIn(z, key, "brotli-quality", 0, 11), intIn(z, key, "zstd-level", 1, 19));
    }

    private static Map<String, PoolConfig> pools(Config c, ConfigProblems problems) {
        ConfigObject poolsObject = problems.read(() -> object(c, ROOT, "pools"));
        Config defaults = problems.read(() -> {
            Config d = object(c, ROOT, "defaults").toConfig();
            requireKnownKeys(d.root(), ROOT + ".defaults", ConfigKeys.DEFAULTS.keys());
            return d;
        });
        if (poolsObject == null || defaults == null) {
            return Map.of();
        }
        // Sorted so that listings and logs do not depend on HOCON's map ordering.
        Map<String, PoolConfig> pools = new TreeMap<>();
        for (String name : poolsObject.keySet()) {
            PoolConfig pool = problems.read(() -> pool(name, poolsObject.get(name), defaults, problems));
            if (pool != null) {
                pools.put(name, pool);
            }
        }
        return new LinkedHashMap<>(pools);
    }

    /** One pool; its parts are read one by one so that each bad one is reported, then null if any was. */
    private static PoolConfig pool(String name, ConfigValue value, Config defaults, ConfigProblems problems) {
        String key = ROOT + ".pools." + name;
        requireName(key, name);
        if (value.valueType() != ConfigValueType.OBJECT) {
            throw ConfigError.of(key, value.unwrapped(), "an object with backends = [...] or discovery { ... }");
        }
        Config p = ((ConfigObject) value).toConfig();
        ConfigProblems own = new ConfigProblems();
        own.check(() -> requireKnownKeys(p.root(), key, ConfigKeys.POOL.keys()));
        PoolConfig.Balancer balancer = own.read(() -> balancer(p, key));
        List<BackendConfig> backends = backends(p, key, own);
        PoolTransport transport = own.read(() -> PoolTransportReader.read(p, key));
        HealthCheckConfig healthCheck = transport == null ? null : own.read(() -> healthCheck(p, key, defaults, transport));
        ResilienceConfig resilience = own.read(() -> resilience(p, key, defaults));
        DiscoveryConfig discovery = own.read(() -> DiscoveryConfigReader.discovery(p, key, p.hasPath("backends")));
        own.throwIfAny();
        return new PoolConfig(name, balancer, backends, healthCheck, resilience, discovery, transport);
    }

    private static HealthCheckConfig healthCheck(Config p, String poolKey, Config defaults, PoolTransport transport) {
        if (!p.hasPath("health-check")) {
            return null;
        }
        String key = poolKey + ".health-check";
        Config h = p.getConfig("health-check").withFallback(defaults.getConfig("health-check"));
        requireKnownKeys(h.root(), key, ConfigKeys.HEALTH_CHECK.keys());
        String type = h.hasPath("type") ? string(h, key, "type") : "http";
        if (!type.equals("http") && !(type.equals("grpc") && transport.http2())) {
            throw ConfigError.of(key + ".type", type,
                    transport.http2() ? "http or grpc" : "http (grpc needs protocol h2 or h2c)");
        }
        String grpcService = type.equals("grpc") ? (h.hasPath("grpc-service") ? string(h, key, "grpc-service") : "") : null;
        String path = grpcService != null ? HealthCheckConfig.GRPC_HEALTH_PATH : string(h, key, "path");
        if (!path.startsWith("/")) {
            throw ConfigError.of(key + ".path", path, "a path starting with /");
        }
        String statuses = string(h, key, "expected-status");
        Matcher range = Pattern.compile("([1-5]\\d\\d)(?:-([1-5]\\d\\d))?").matcher(statuses);
        if (!range.matches()) {
            throw ConfigError.of(key + ".expected-status", statuses, "a status or a range such as 200-399");
        }
        int min = Integer.parseInt(range.group(1));
        int max = range.group(2) == null ? min : Integer.parseInt(range.group(2));
        if (max < min) {
            throw ConfigError.of(key + ".expected-status", statuses, "a range whose end is not below its start");
        }
        Duration interval = positive(h, key, "interval");
        Duration timeout = positive(h, key, "timeout");
        if (timeout.compareTo(interval) > 0) {
            throw ConfigError.of(key + ".timeout", h.getValue("timeout").unwrapped(), "at most the interval, " + interval);
        }
        return new HealthCheckConfig(path, interval, timeout, intIn(h, key, "healthy-threshold", 1, 100),
                intIn(h, key, "unhealthy-threshold", 1, 100), min, max, grpcService);
    }

    private static ResilienceConfig resilience(Config p, String poolKey, Config defaults) {
        Config r = p.withFallback(defaults);
        String ek = poolKey + ".passive-ejection";
        Config e = r.getConfig("passive-ejection");
        requireKnownKeys(e.root(), ek, ConfigKeys.PASSIVE_EJECTION.keys());
        return new ResilienceConfig(intIn(r, poolKey, "retries", 0, ResilienceConfig.MAX_RETRIES),
                percent(r, poolKey, "retry-budget"),
                intIn(e, ek, "consecutive-failures", 0, 1000), positive(e, ek, "base-time"),
                intIn(e, ek, "max-ejection-percent", 0, 100), nonNegative(r, poolKey, "slow-start"),
                intIn(r, poolKey, "max-connections", 0, 1_000_000), intIn(r, poolKey, "max-pending", 0, 1_000_000));
    }

    private static int percent(Config c, String parentKey, String path) {
        String text = string(c, parentKey, path).trim();
        Matcher m = Pattern.compile("(\\d{1,3})\\s*%").matcher(text);
        if (!m.matches() || Integer.parseInt(m.group(1)) > 100) {
            throw ConfigError.of(parentKey + "." + path, text, "a percentage from 0% to 100%");
        }
        return Integer.parseInt(m.group(1));
    }

    private static PoolConfig.Balancer balancer(Config p, String poolKey) {
        if (!p.hasPath("balancer")) {
            return PoolConfig.Balancer.WEIGHTED_ROUND_ROBIN;
        }
        String name = string(p, poolKey, "balancer");
        for (PoolConfig.Balancer b : PoolConfig.Balancer.values()) {
            if (b.configName().equals(name)) {
                return b;
            }
        }
        throw ConfigError.of(poolKey + ".balancer", name, "weighted-round-robin or least-request");
    }

    private static List<BackendConfig> backends(Config p, String poolKey, ConfigProblems problems) {
        if (!p.hasPath("backends")) {
            return List.of();
        }
        List<? extends ConfigObject> list = problems.read(() -> {
            try {
                return p.getObjectList("backends");
            } catch (ConfigException.WrongType e) {
                throw ConfigError.of(poolKey + ".backends", p.getValue("backends").unwrapped(),
                        "a list of { id, address, weight } objects");
            }
        });
        List<BackendConfig> backends = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; list != null && i < list.size(); i++) {
            String key = poolKey + ".backends[" + i + "]";
            Config b = list.get(i).toConfig();
            problems.check(() -> requireKnownKeys(b.root(), key, ConfigKeys.BACKEND.keys()));
            String id = problems.read(() -> {
                String text = string(b, key, "id");
                requireName(key + ".id", text);
                if (ids.contains(text)) {
                    throw ConfigError.of(key + ".id", text, "an id not used by another backend of this pool");
                }
                return text;
            });
            HostPort address = problems.read(() -> HostPort.parse(key + ".address", string(b, key, "address"), false));
            InetSocketAddress resolved = address == null ? null : problems.read(() -> address.resolve(key + ".address"));
            Integer weight = problems.read(() -> b.hasPath("weight") ? intIn(b, key, "weight", 0, Limits.MAX_WEIGHT) : 1);
            if (id != null) {
                ids.add(id);
            }
            if (id != null && resolved != null && weight != null) {
                backends.add(new BackendConfig(id, address, resolved, weight));
            }
        }
        return backends;
    }

    static void requireKnownKeys(ConfigObject object, String key, Set<String> known) {
        for (String k : object.keySet()) {
            if (!known.contains(k)) {
                throw new UnknownKeyError(key + "." + k, known);
            }
        }
    }

    static void requireName(String key, String name) {
        if (!Limits.validName(name)) {
            throw ConfigError.of(key, name, Limits.NAME_RULE);
        }
    }

    static ConfigObject object(Config c, String parentKey, String path) {
        try {
            return c.getObject(path);
        } catch (ConfigException.Missing e) {
            throw new ConfigError(parentKey + "." + path + ": missing (expected: an object)");
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "an object");
        }
    }

    static String string(Config c, String parentKey, String path) {
        try {
            return c.getString(path);
        } catch (ConfigException.Missing e) {
            throw new ConfigError(parentKey + "." + path + ": missing (expected: a string)");
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "a string");
        }
    }

    static int intIn(Config c, String parentKey, String path, int min, int max) {
        String expected = "a whole number from " + min + " to " + max;
        int value;
        try {
            value = c.getInt(path);
        } catch (ConfigException.Missing e) {
            throw new ConfigError(parentKey + "." + path + ": missing (expected: " + expected + ")");
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), expected);
        }
        if (value < min || value > max) {
            throw ConfigError.of(parentKey + "." + path, value, expected);
        }
        return value;
    }

    private static Duration duration(Config c, String parentKey, String path) {
        try {
            return c.getDuration(path);
        } catch (ConfigException.Missing e) {
            throw new ConfigError(parentKey + "." + path + ": missing (expected: a duration such as 2s)");
        } catch (ConfigException.BadValue | ConfigException.WrongType e) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "a duration such as 2s or 500ms");
        }
    }

    private static Duration nonNegative(Config c, String parentKey, String path) {
        Duration d = duration(c, parentKey, path);
        if (d.isNegative()) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "0s (off) or more");
        }
        return d;
    }

    static Duration positive(Config c, String parentKey, String path) {
        Duration d = duration(c, parentKey, path);
        if (d.isNegative() || d.isZero()) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "a duration above 0, such as 2s");
        }
        return d;
    }
}
