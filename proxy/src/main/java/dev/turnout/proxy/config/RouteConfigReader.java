package dev.turnout.proxy.config;

import static dev.turnout.proxy.config.ConfigLoader.bool;
import static dev.turnout.proxy.config.ConfigLoader.bytesIn;
import static dev.turnout.proxy.config.ConfigLoader.intIn;
import static dev.turnout.proxy.config.ConfigLoader.object;
import static dev.turnout.proxy.config.ConfigLoader.requireKnownKeys;
import static dev.turnout.proxy.config.ConfigLoader.requireName;
import static dev.turnout.proxy.config.ConfigLoader.string;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValueType;
import dev.turnout.proxy.policy.RouteRules;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code turnout.routes} list, for {@link ConfigLoader}: each route's match, split and policy, every field
 * read on its own so that each problem is reported.
 */
final class RouteConfigReader {

    private RouteConfigReader() {
    }

    /** The routes; a split is checked against the pools the file names, whether or not each of them is valid. */
    static List<RouteConfig> read(Config c, ConfigProblems problems) {
        Set<String> poolNames = c.hasPath("pools") && c.getValue("pools").valueType() == ConfigValueType.OBJECT
                ? new TreeSet<>(c.getObject("pools").keySet()) : Set.of();
        List<? extends ConfigObject> list = problems.read(() -> {
            try {
                return c.getObjectList("routes");
            } catch (ConfigException.WrongType e) {
                throw ConfigError.of("turnout.routes", c.getValue("routes").unwrapped(), "a list of route objects");
            }
        });
        List<RouteConfig> routes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; list != null && i < list.size(); i++) {
            String key = "turnout.routes[" + i + "]";
            Config r = list.get(i).toConfig();
            ConfigProblems own = new ConfigProblems();
            own.check(() -> requireKnownKeys(r.root(), key, ConfigKeys.ROUTE.keys()));
            String name = own.read(() -> {
                String text = string(r, key, "name");
                requireName(key + ".name", text);
                if (names.contains(text)) {
                    throw ConfigError.of(key + ".name", text, "a name not used by another route");
                }
                return text;
            });
            if (name != null) {
                names.add(name);
            }
            String host = own.read(() -> {
                String text = r.hasPath("host") ? string(r, key, "host").toLowerCase(Locale.ROOT) : "*";
                if (!validHostPattern(text)) {
                    throw ConfigError.of(key + ".host", text, "\"*\", an exact host such as example.com, or *.example.com");
                }
                return text;
            });
            String prefix = own.read(() -> {
                String text = r.hasPath("path-prefix") ? string(r, key, "path-prefix") : "/";
                if (!text.startsWith("/")) {
                    throw ConfigError.of(key + ".path-prefix", text, "a path starting with /");
                }
                return text;
            });
            Boolean cache = own.read(() -> !r.hasPath("cache") || bool(r, key, "cache"));
            String poolHeader = own.read(() -> r.hasPath("pool-header")
                    ? headerName(key + ".pool-header", string(r, key, "pool-header")) : "");
            Long maxBody = own.read(() -> r.hasPath("max-body-size") ? bytesIn(r, key, "max-body-size", 0, Long.MAX_VALUE) : 0L);
            Map<String, Integer> split = own.read(() -> split(r, key, poolNames));
            RouteConfig.Sticky sticky = own.read(() -> sticky(r, key));
            Set<String> retryMethods = own.read(() -> retryMethods(r, key));
            RouteRules rules = own.read(() -> RoutePolicyReader.read(r, key));
            if (own.any()) {
                problems.check(own::throwIfAny);
                continue;
            }
            routes.add(new RouteConfig(name, host, prefix, split, cache, sticky, poolHeader.isEmpty() ? null : poolHeader,
                    maxBody, retryMethods, rules));
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

    private static Map<String, Integer> split(Config r, String routeKey, Set<String> pools) {
        ConfigObject splitObject = object(r, routeKey, "split");
        String key = routeKey + ".split";
        Map<String, Integer> split = new LinkedHashMap<>();
        int sum = 0;
        for (String pool : new TreeMap<>(splitObject).keySet()) {
            if (!pools.contains(pool)) {
                throw ConfigError.of(key + "." + pool, pool, "one of the pools defined under turnout.pools "
                        + pools);
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
}
