package dev.turnout.proxy.config;

import static dev.turnout.proxy.config.ConfigLoader.bool;
import static dev.turnout.proxy.config.ConfigLoader.object;
import static dev.turnout.proxy.config.ConfigLoader.readable;
import static dev.turnout.proxy.config.ConfigLoader.requireKnownKeys;
import static dev.turnout.proxy.config.ConfigLoader.string;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;

/**
 * A pool's {@code protocol} and {@code tls}, for {@link ConfigLoader}. Files are checked as far as
 * the JDK can without building the TLS context: the CA must hold certificates, and a client
 * certificate needs its key; the context itself is built at start-up, naming the key of a file
 * it cannot use.
 */
final class PoolTransportReader {

    private PoolTransportReader() {
    }

    static PoolTransport read(Config p, String poolKey) {
        PoolTransport.Protocol protocol = protocol(p, poolKey);
        PoolTransport.Tls tls = p.hasPath("tls") ? tls(p, poolKey) : null;
        if (protocol == PoolTransport.Protocol.H2C && tls != null) {
            throw ConfigError.of(poolKey + ".protocol", protocol.configName(),
                    "h2 for HTTP/2 over TLS; h2c is HTTP/2 over plain TCP, which a tls block contradicts");
        }
        if (protocol == PoolTransport.Protocol.H2 && tls == null) {
            // h2 is HTTP/2 over TLS by definition: verified against the JVM's trust store and the address's host.
            tls = new PoolTransport.Tls(null, null, true, null, null);
        }
        return protocol == PoolTransport.Protocol.HTTP_1_1 && tls == null ? PoolTransport.PLAIN_HTTP1
                : new PoolTransport(protocol, tls);
    }

    private static PoolTransport.Protocol protocol(Config p, String poolKey) {
        if (!p.hasPath("protocol")) {
            return PoolTransport.Protocol.HTTP_1_1;
        }
        String name = string(p, poolKey, "protocol");
        for (PoolTransport.Protocol protocol : PoolTransport.Protocol.values()) {
            if (protocol.configName().equals(name)) {
                return protocol;
            }
        }
        throw ConfigError.of(poolKey + ".protocol", name, "http/1.1, h2c (HTTP/2 with prior knowledge) or h2 (HTTP/2 over TLS)");
    }

    private static PoolTransport.Tls tls(Config p, String poolKey) {
        String key = poolKey + ".tls";
        Config t = object(p, poolKey, "tls").toConfig();
        requireKnownKeys(t.root(), key, ConfigKeys.POOL_TLS.keys());
        Path ca = t.hasPath("ca") ? certificates(t, key, "ca") : null;
        String serverName = null;
        if (t.hasPath("server-name")) {
            serverName = string(t, key, "server-name").trim();
            if (!serverName.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
                throw ConfigError.of(key + ".server-name", serverName, "a DNS name such as app.internal");
            }
        }
        boolean verify = !t.hasPath("verify") || bool(t, key, "verify");
        if (t.hasPath("cert") != t.hasPath("key")) {
            String missing = t.hasPath("cert") ? "key" : "cert";
            throw new ConfigError(key + "." + missing + ": missing (expected: a client certificate needs both cert and key, "
                    + "PEM files)");
        }
        Path cert = t.hasPath("cert") ? certificates(t, key, "cert") : null;
        Path clientKey = t.hasPath("key") ? readable(t, key, "key") : null;
        return new PoolTransport.Tls(ca, serverName, verify, cert, clientKey);
    }

    /** A readable PEM file holding at least one X.509 certificate. */
    private static Path certificates(Config t, String key, String path) {
        Path file = readable(t, key, path);
        try (InputStream in = Files.newInputStream(file)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw ConfigError.of(key + "." + path, file.toString(), "a PEM file of certificates");
            }
        } catch (IOException | CertificateException e) {
            throw ConfigError.of(key + "." + path, file.toString(), "a PEM file of certificates (" + e.getMessage() + ")");
        }
        return file;
    }
}
