package dev.turnout.proxy.config;

import static dev.turnout.proxy.config.ConfigLoader.bool;
import static dev.turnout.proxy.config.ConfigLoader.object;
import static dev.turnout.proxy.config.ConfigLoader.readable;
import static dev.turnout.proxy.config.ConfigLoader.requireKnownKeys;
import static dev.turnout.proxy.config.ConfigLoader.requireName;
import static dev.turnout.proxy.config.ConfigLoader.string;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import dev.turnout.admin.AdminToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code turnout.admin} section, for {@link ConfigLoader}: the listener, its tokens (checked as
 * the listener will read them), the Host names it answers, and TLS. An admin listener off loopback
 * with nothing to authenticate its callers is refused here, unless {@code insecure} says otherwise.
 */
final class AdminConfigReader {

    private AdminConfigReader() {
    }

    static AdminConfig read(Config c) {
        String key = "turnout.admin";
        Config a = c.getConfig("admin");
        requireKnownKeys(a.root(), key, ConfigKeys.ADMIN.keys());
        HostPort listen = HostPort.parse(key + ".listen", string(a, key, "listen"), true);
        List<AdminToken> tokens = new ArrayList<>();
        String token = a.hasPath("token") ? string(a, key, "token") : "";
        if (!token.isEmpty()) {
            tokens.add(AdminToken.of(AdminConfig.SINGLE_TOKEN_NAME, AdminToken.Role.OPERATE, token));
        }
        if (a.hasPath("token-file")) {
            if (!tokens.isEmpty()) {
                throw ConfigError.of(key + ".token-file", string(a, key, "token-file"),
                        "either turnout.admin.token or turnout.admin.token-file, not both");
            }
            tokens.add(AdminToken.fromFile(AdminConfig.SINGLE_TOKEN_NAME, AdminToken.Role.OPERATE,
                    tokenFile(key + ".token-file", string(a, key, "token-file"))));
        }
        tokens.addAll(namedTokens(a, key));
        AdminConfig.Tls tls = a.hasPath("tls") ? adminTls(a, key) : null;
        boolean insecure = bool(a, key, "insecure");
        boolean authenticated = !tokens.isEmpty() || (tls != null && tls.clientCa() != null);
        if (!authenticated && !insecure && !listen.resolve(key + ".listen").getAddress().isLoopbackAddress()) {
            throw ConfigError.of(key + ".listen", listen.toString(), "a loopback address such as 127.0.0.1:9090 while "
                    + "turnout.admin.token is not set: set turnout.admin.token (or token-file, tokens, tls.client-ca), "
                    + "or turnout.admin.insecure = true to serve the admin API to anyone who can reach it");
        }
        return new AdminConfig(listen, tokens, adminHosts(a, key), insecure, tls);
    }

    /** {@code tokens = [ { name, token-file, role } ]}: named tokens, each in a file of its own. */
    private static List<AdminToken> namedTokens(Config a, String adminKey) {
        List<? extends ConfigObject> list;
        try {
            list = a.hasPath("tokens") ? a.getObjectList("tokens") : List.of();
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(adminKey + ".tokens", a.getValue("tokens").unwrapped(),
                    "a list of { name = NAME, token-file = FILE, role = operate|read }");
        }
        List<AdminToken> tokens = new ArrayList<>();
        Set<String> names = new HashSet<>(Set.of(AdminConfig.SINGLE_TOKEN_NAME));
        for (int i = 0; i < list.size(); i++) {
            String key = adminKey + ".tokens[" + i + "]";
            Config t = list.get(i).toConfig();
            requireKnownKeys(t.root(), key, ConfigKeys.ADMIN_TOKEN.keys());
            String name = string(t, key, "name");
            requireName(key + ".name", name);
            if (!names.add(name)) {
                throw ConfigError.of(key + ".name", name, "a name not used by another token (\""
                        + AdminConfig.SINGLE_TOKEN_NAME + "\" is turnout.admin.token's)");
            }
            String role = t.hasPath("role") ? string(t, key, "role") : "";
            AdminToken.Role parsed = switch (role) {
                case "operate" -> AdminToken.Role.OPERATE;
                case "read" -> AdminToken.Role.READ;
                default -> throw ConfigError.of(key + ".role", role, "operate (may change anything) or read (may only GET)");
            };
            tokens.add(AdminToken.fromFile(name, parsed, tokenFile(key + ".token-file", string(t, key, "token-file"))));
        }
        return tokens;
    }

    /** A token file, checked as the admin listener will read it: only its owner may read it, and it holds a token. */
    private static Path tokenFile(String key, String file) {
        Path path = Path.of(file);
        try {
            AdminToken.read(path);
        } catch (IOException e) {
            throw ConfigError.of(key, file, "a file holding the token that only its owner can read (chmod 600); this one is "
                    + e.getMessage());
        }
        return path;
    }

    private static List<String> adminHosts(Config a, String adminKey) {
        List<String> hosts;
        try {
            hosts = a.getStringList("hosts");
        } catch (ConfigException.WrongType e) {
            throw ConfigError.of(adminKey + ".hosts", a.getValue("hosts").unwrapped(), "a list of host names");
        }
        List<String> names = new ArrayList<>();
        for (String host : hosts) {
            String name = host.toLowerCase(Locale.ROOT);
            if (!name.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?")) {
                throw ConfigError.of(adminKey + ".hosts", host, "host names such as turnout-1.internal, without a port");
            }
            names.add(name);
        }
        return names;
    }

    private static AdminConfig.Tls adminTls(Config a, String adminKey) {
        String key = adminKey + ".tls";
        Config t = object(a, adminKey, "tls").toConfig();
        requireKnownKeys(t.root(), key, ConfigKeys.ADMIN_TLS.keys());
        return new AdminConfig.Tls(readable(t, key, "cert"), readable(t, key, "key"),
                t.hasPath("client-ca") ? readable(t, key, "client-ca") : null);
    }
}
