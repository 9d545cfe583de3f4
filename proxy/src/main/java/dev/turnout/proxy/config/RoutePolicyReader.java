package dev.turnout.proxy.config;

import static dev.turnout.proxy.config.ConfigLoader.intIn;
import static dev.turnout.proxy.config.ConfigLoader.object;
import static dev.turnout.proxy.config.ConfigLoader.requireKnownKeys;
import static dev.turnout.proxy.config.ConfigLoader.string;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.turnout.proxy.policy.AddressList;
import dev.turnout.proxy.policy.HeaderRules;
import dev.turnout.proxy.policy.PathRewrite;
import dev.turnout.proxy.policy.RateLimit;
import dev.turnout.proxy.policy.Redirect;
import dev.turnout.proxy.policy.RouteRules;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.PatternSyntaxException;

/**
 * A route's traffic rules ({@code allow}, {@code deny}, {@code redirect}, {@code rate-limit},
 * {@code request-headers}, {@code response-headers}, {@code rewrite}) and the listener-wide client address
 * keys ({@code proxy-protocol}, {@code trusted-proxies}), for {@link ConfigLoader}: each rule is compiled
 * here as the data plane will use it, so a bad network, regex, placeholder or rate stops loading with the
 * key named.
 */
final class RoutePolicyReader {

    private RoutePolicyReader() {
    }

    static ClientAddressConfig clientAddress(Config c, String root) {
        boolean proxyProtocol = ConfigLoader.bool(c, root, "proxy-protocol");
        return new ClientAddressConfig(proxyProtocol, addresses(c, root, "trusted-proxies"));
    }

    /** The rules of the route at {@code routeKey}; {@link RouteRules#NONE} when it has none. */
    static RouteRules read(Config r, String routeKey) {
        RouteRules rules = new RouteRules(addresses(r, routeKey, "allow"), addresses(r, routeKey, "deny"),
                redirect(r, routeKey), rateLimit(r, routeKey), headers(r, routeKey, "request-headers"),
                headers(r, routeKey, "response-headers"), rewrite(r, routeKey));
        return rules.isEmpty() ? RouteRules.NONE : rules;
    }

    private static AddressList addresses(Config c, String parentKey, String path) {
        if (!c.hasPath(path)) {
            return AddressList.EMPTY;
        }
        List<String> entries = strings(c, parentKey, path, "a list such as [\"10.0.0.0/8\", \"2001:db8::/32\"]");
        for (int i = 0; i < entries.size(); i++) {
            String problem = AddressList.problem(entries.get(i));
            if (problem != null) {
                throw ConfigError.of(parentKey + "." + path + "[" + i + "]", entries.get(i), problem);
            }
        }
        return AddressList.of(entries);
    }

    private static List<String> strings(Config c, String parentKey, String path, String expected) {
        try {
            return c.getStringList(path);
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(parentKey + "." + path, c.getValue(path).unwrapped(), expected);
        }
    }

    private static Redirect redirect(Config r, String routeKey) {
        if (!r.hasPath("redirect")) {
            return null;
        }
        String key = routeKey + ".redirect";
        Config c = object(r, routeKey, "redirect").toConfig();
        requireKnownKeys(c.root(), key, ConfigKeys.REDIRECT.keys());
        String to = string(c, key, "to");
        String problem = Redirect.problem(to);
        if (problem != null) {
            throw ConfigError.of(key + ".to", to, problem);
        }
        int status = c.hasPath("status") ? intIn(c, key, "status", 100, 599) : 302;
        if (!Redirect.STATUSES.contains(status)) {
            throw ConfigError.of(key + ".status", status, "one of " + new TreeSet<>(Redirect.STATUSES));
        }
        return new Redirect(to, status);
    }

    private static RateLimit rateLimit(Config r, String routeKey) {
        if (!r.hasPath("rate-limit")) {
            return null;
        }
        String key = routeKey + ".rate-limit";
        Config c = object(r, routeKey, "rate-limit").toConfig();
        requireKnownKeys(c.root(), key, ConfigKeys.RATE_LIMIT.keys());
        String rateText = string(c, key, "rate");
        long[] rate;
        try {
            rate = RateLimit.parseRate(rateText);
        } catch (IllegalArgumentException e) {
            throw ConfigError.of(key + ".rate", rateText, e.getMessage());
        }
        int burst = c.hasPath("burst") ? intIn(c, key, "burst", 1, RateLimit.MAX_BURST)
                : RateLimit.defaultBurst(rate[0], (int) rate[1]);
        RateLimit.Key limitKey = RateLimit.Key.CLIENT_IP;
        if (c.hasPath("key")) {
            String keyText = string(c, key, "key");
            try {
                limitKey = RateLimit.Key.parse(keyText);
            } catch (IllegalArgumentException e) {
                throw ConfigError.of(key + ".key", keyText, e.getMessage());
            }
        }
        int maxKeys = c.hasPath("max-keys") ? intIn(c, key, "max-keys", 1, RateLimit.MAX_KEYS) : RateLimit.DEFAULT_MAX_KEYS;
        return new RateLimit(rate[0], (int) rate[1], burst, limitKey, maxKeys);
    }

    private static HeaderRules headers(Config r, String routeKey, String path) {
        if (!r.hasPath(path)) {
            return HeaderRules.NONE;
        }
        String key = routeKey + "." + path;
        Config c = object(r, routeKey, path).toConfig();
        requireKnownKeys(c.root(), key, (path.equals("request-headers") ? ConfigKeys.REQUEST_HEADERS
                : ConfigKeys.RESPONSE_HEADERS).keys());
        Map<String, String> set = fields(c, key, "set");
        Map<String, String> add = fields(c, key, "add");
        List<String> remove = c.hasPath("remove") ? strings(c, key, "remove", "a list of header names, such as [Server]")
                : List.of();
        for (int i = 0; i < remove.size(); i++) {
            String problem = HeaderRules.nameProblem(remove.get(i));
            if (problem != null) {
                throw ConfigError.of(key + ".remove[" + i + "]", remove.get(i), problem);
            }
        }
        return new HeaderRules(set, add, remove);
    }

    /** {@code { Name = value, ... }}, each name and value checked. */
    private static Map<String, String> fields(Config c, String parentKey, String path) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (!c.hasPath(path)) {
            return fields;
        }
        ConfigObject object = object(c, parentKey, path);
        for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
            String key = parentKey + "." + path + "." + entry.getKey();
            ConfigValueType type = entry.getValue().valueType();
            String problem = HeaderRules.nameProblem(entry.getKey());
            if (problem != null) {
                throw ConfigError.of(key, entry.getKey(), problem);
            }
            if (type != ConfigValueType.STRING && type != ConfigValueType.NUMBER && type != ConfigValueType.BOOLEAN) {
                throw ConfigError.of(key, entry.getValue().unwrapped(), "a header value (a string)");
            }
            String value = String.valueOf(entry.getValue().unwrapped());
            problem = HeaderRules.valueProblem(value);
            if (problem != null) {
                throw ConfigError.of(key, value, problem);
            }
            fields.put(entry.getKey(), value);
        }
        return fields;
    }

    private static PathRewrite rewrite(Config r, String routeKey) {
        if (!r.hasPath("rewrite")) {
            return null;
        }
        String key = routeKey + ".rewrite";
        Config c = object(r, routeKey, "rewrite").toConfig();
        requireKnownKeys(c.root(), key, ConfigKeys.REWRITE.keys());
        boolean strip = c.hasPath("strip-prefix");
        if (strip == (c.hasPath("regex") || c.hasPath("replacement"))) {
            throw ConfigError.of(key, c.root().unwrapped(),
                    "either { strip-prefix = \"/api\" } or { regex = \"^/old/(.*)$\", replacement = \"/new/$1\" }");
        }
        if (strip) {
            String prefix = string(c, key, "strip-prefix");
            try {
                return PathRewrite.stripPrefix(prefix);
            } catch (IllegalArgumentException e) {
                throw ConfigError.of(key + ".strip-prefix", prefix, "a path starting with /, without spaces, ? or #");
            }
        }
        String regex = string(c, key, "regex");
        String replacement = string(c, key, "replacement");
        try {
            return PathRewrite.regex(regex, replacement);
        } catch (PatternSyntaxException e) {
            throw ConfigError.of(key + ".regex", regex, "a Java regular expression (" + e.getDescription() + " at index "
                    + e.getIndex() + ")");
        } catch (IllegalArgumentException e) {
            throw ConfigError.of(key + ".replacement", replacement, e.getMessage());
        }
    }
}
