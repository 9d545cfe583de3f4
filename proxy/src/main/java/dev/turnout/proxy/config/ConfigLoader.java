package dev.turnout.proxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * <p>The first problem found stops loading with a {@link ConfigError} naming the key.
 */
public final class ConfigLoader {

    private static final String ROOT = "turnout";
    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

    private ConfigLoader() {
    }

    /** Loads the layered configuration; {@code file} may be null to use only the other layers. */
    public static TurnoutConfig load(File file) {
        if (file != null && !file.isFile()) {
            throw new ConfigError("--config " + file + ": no such file");
        }
        try {
            Config base = file == null
                    ? ConfigFactory.load()
                    : ConfigFactory.load(ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false)));
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
        requireKnownKeys(c.root(), ROOT, ConfigKeys.TOP.keys());

        HostPort listen = HostPort.parse(ROOT + ".listen", string(c, ROOT, "listen"), true);
        int ioThreads = intIn(c, ROOT, "io-threads", 0, 1024);
        AdminConfig admin = AdminConfigReader.read(c);
        String stateFile = string(c, ROOT, "state-file").trim();

        Map<String, PoolConfig> pools = pools(c);
        List<RouteConfig> routes = routes(c, pools);

        Config t = c.getConfig("timeouts");
        String tk = ROOT + ".timeouts";
        requireKnownKeys(t.root(), tk, ConfigKeys.TIMEOUTS.keys());
        Timeouts timeouts = new Timeouts(positive(t, tk, "connect"), positive(t, tk, "request"), positive(t, tk, "idle"),
                positive(t, tk, "header-read"), positive(t, tk, "body-read"), positive(t, tk, "tunnel-drain"));

        requireKnownKeys(object(c, ROOT, "shutdown"), ROOT + ".shutdown", ConfigKeys.SHUTDOWN.keys());
        Duration grace = duration(c, ROOT, "shutdown.grace");
        if (grace.isNegative()) {
            throw ConfigError.of(ROOT + ".shutdown.grace", c.getValue("shutdown.grace").unwrapped(), "0s or more");
        }
        return new TurnoutConfig(listen, tls(c), ioThreads, admin, stateFile.isEmpty() ? null : Path.of(stateFile), state(c),
                pools, routes, timeouts, limits(c), compression(c), cache(c), metricsEnabled(c), accessLog(c), grace);
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
        return new ClientLimits((int) bytesIn(l, key, "request-line", 256, 1 << 20),
                (int) bytesIn(l, key, "header-size", 1024, 1 << 20), intIn(l, key, "header-count", 1, 10_000),
                intIn(l, key, "connections", 1, 10_000_000));
    }

    private static long bytesIn(Config c, String parentKey, String path, long min, long max) {
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
        return new CacheConfig(bool(k, key, "enabled"), maxSize, maxObject, bool(k, key, "status-header"));
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

    private static Map<String, PoolConfig> pools(Config c) {
        ConfigObject poolsObject = object(c, ROOT, "pools");
        Config defaults = object(c, ROOT, "defaults").toConfig();
        requireKnownKeys(defaults.root(), ROOT + ".defaults", ConfigKeys.DEFAULTS.keys());
        // Sorted so that listings and logs do not depend on HOCON's map ordering.
        Map<String, PoolConfig> pools = new TreeMap<>();
        for (String name : poolsObject.keySet()) {
            String key = ROOT + ".pools." + name;
            requireName(key, name);
            ConfigValue value = poolsObject.get(name);
            if (value.valueType() != ConfigValueType.OBJECT) {
                throw ConfigError.of(key, value.unwrapped(), "an object with backends = [...]");
            }
            Config p = ((ConfigObject) value).toConfig();
            requireKnownKeys(p.root(), key, ConfigKeys.POOL.keys());
            PoolConfig.Balancer balancer = balancer(p, key);
            PoolTransport transport = PoolTransportReader.read(p, key);
            pools.put(name, new PoolConfig(name, balancer, backends(p, key), healthCheck(p, key, defaults, transport),
                    resilience(p, key, defaults), transport));
        }
        return new LinkedHashMap<>(pools);
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

    private static List<BackendConfig> backends(Config p, String poolKey) {
        if (!p.hasPath("backends")) {
            return List.of();
        }
        List<? extends ConfigObject> list;
        try {
            list = p.getObjectList("backends");
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(poolKey + ".backends", p.getValue("backends").unwrapped(),
                    "a list of { id, address, weight } objects");
        }
        List<BackendConfig> backends = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String key = poolKey + ".backends[" + i + "]";
            Config b = list.get(i).toConfig();
            requireKnownKeys(b.root(), key, ConfigKeys.BACKEND.keys());
            String id = string(b, key, "id");
            requireName(key + ".id", id);
            if (!ids.add(id)) {
                throw ConfigError.of(key + ".id", id, "an id not used by another backend of this pool");
            }
            HostPort address = HostPort.parse(key + ".address", string(b, key, "address"), false);
            int weight = b.hasPath("weight") ? intIn(b, key, "weight", 0, Limits.MAX_WEIGHT) : 1;
            backends.add(new BackendConfig(id, address, address.resolve(key + ".address"), weight));
        }
        return backends;
    }

    private static List<RouteConfig> routes(Config c, Map<String, PoolConfig> pools) {
        List<? extends ConfigObject> list;
        try {
            list = c.getObjectList("routes");
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(ROOT + ".routes", c.getValue("routes").unwrapped(), "a list of route objects");
        }
        List<RouteConfig> routes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String key = ROOT + ".routes[" + i + "]";
            Config r = list.get(i).toConfig();
            requireKnownKeys(r.root(), key, ConfigKeys.ROUTE.keys());
            String name = string(r, key, "name");
            requireName(key + ".name", name);
            if (!names.add(name)) {
                throw ConfigError.of(key + ".name", name, "a name not used by another route");
            }
            String host = r.hasPath("host") ? string(r, key, "host").toLowerCase(Locale.ROOT) : "*";
            if (!validHostPattern(host)) {
                throw ConfigError.of(key + ".host", host, "\"*\", an exact host such as example.com, or *.example.com");
            }
            String prefix = r.hasPath("path-prefix") ? string(r, key, "path-prefix") : "/";
            if (!prefix.startsWith("/")) {
                throw ConfigError.of(key + ".path-prefix", prefix, "a path starting with /");
            }
            boolean cache = !r.hasPath("cache") || bool(r, key, "cache");
            String poolHeader = r.hasPath("pool-header") ? headerName(key + ".pool-header", string(r, key, "pool-header")) : null;
            long maxBody = r.hasPath("max-body-size") ? bytesIn(r, key, "max-body-size", 0, Long.MAX_VALUE) : 0;
            routes.add(new RouteConfig(name, host, prefix, split(r, key, pools), cache, sticky(r, key), poolHeader, maxBody,
                    retryMethods(r, key)));
        }
        return routes;
    }

    private static Set<String> retryMethods(Config r, String routeKey) {
        if (!r.hasPath("retry-methods")) {
            return RouteConfig.IDEMPOTENT_METHODS;
        }
        String key = routeKey + ".retry-methods";
        List<String> methods;
        try {
            methods = r.getStringList("retry-methods");
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(key, r.getValue("retry-methods").unwrapped(), "a list of methods such as [GET, HEAD]");
        }
        for (String method : methods) {
            if (!method.matches("[A-Z][A-Z-]*")) {
                throw ConfigError.of(key, method, "a method name in capitals, such as GET or PUT");
            }
        }
        return Set.copyOf(methods);
    }

    private static RouteConfig.Sticky sticky(Config r, String routeKey) {
        if (!r.hasPath("sticky")) {
            return null;
        }
        String key = routeKey + ".sticky";
        Config sticky = object(r, routeKey, "sticky").toConfig();
        requireKnownKeys(sticky.root(), key, ConfigKeys.STICKY.keys());
        if (sticky.hasPath("cookie") == sticky.hasPath("header")) {
            throw ConfigError.of(key, sticky.root().unwrapped(), "either { cookie = NAME } or { header = NAME }");
        }
        return sticky.hasPath("cookie")
                ? new RouteConfig.Sticky(headerName(key + ".cookie", string(sticky, key, "cookie")), null)
                : new RouteConfig.Sticky(null, headerName(key + ".header", string(sticky, key, "header")));
    }

    /** A header or cookie name: an RFC 9110 token. */
    private static String headerName(String key, String name) {
        if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw ConfigError.of(key, name, "a header or cookie name (letters, digits and !#$%&'*+.^_`|~-)");
        }
        return name;
    }

    private static Map<String, Integer> split(Config r, String routeKey, Map<String, PoolConfig> pools) {
        ConfigObject splitObject = object(r, routeKey, "split");
        String key = routeKey + ".split";
        Map<String, Integer> split = new LinkedHashMap<>();
        int sum = 0;
        for (String pool : new TreeMap<>(splitObject).keySet()) {
            if (!pools.containsKey(pool)) {
                throw ConfigError.of(key + "." + pool, pool, "one of the pools defined under turnout.pools "
                        + pools.keySet());
            }
            int share = intIn(splitObject.toConfig(), key, pool, 0, 100);
            split.put(pool, share);
            sum += share;
        }
        if (sum != 100) {
            throw ConfigError.of(key, splitObject.unwrapped(), "shares that sum to 100, not " + sum);
        }
        return split;
    }

    static boolean validHostPattern(String host) {
        String name = host.startsWith("*.") ? host.substring(2) : host;
        return host.equals("*") || (!name.isEmpty() && name.chars().allMatch(
                ch -> Character.isLetterOrDigit(ch) || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']'));
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

    private static int intIn(Config c, String parentKey, String path, int min, int max) {
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

    private static Duration positive(Config c, String parentKey, String path) {
        Duration d = duration(c, parentKey, path);
        if (d.isNegative() || d.isZero()) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), "a duration above 0, such as 2s");
        }
        return d;
    }
}
