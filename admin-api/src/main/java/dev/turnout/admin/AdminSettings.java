package dev.turnout.admin;

import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * How the admin listener is set up: where it listens, which Host names it answers besides its own
 * address and localhost, the tokens {@code /api/*} accepts (none: no token needed), and TLS.
 *
 * @param hosts               extra names a request's Host may carry (lower case, no port)
 * @param tokens              empty when {@code /api/*} needs no token
 * @param tls                 the server certificate (and trusted client CAs), or null for plain HTTP
 * @param requireClientCerts  mutual TLS: only clients with a certificate {@code tls} trusts get a connection
 */
public record AdminSettings(String host, int port, List<String> hosts, List<AdminToken> tokens, SSLContext tls,
        boolean requireClientCerts) {

    public AdminSettings {
        hosts = List.copyOf(hosts);
        tokens = List.copyOf(tokens);
        if (requireClientCerts && tls == null) {
            throw new IllegalArgumentException("client certificates need TLS");
        }
    }

    /** Plain HTTP on {@code host:port}, no extra names, no token. */
    public static AdminSettings plain(String host, int port) {
        return new AdminSettings(host, port, List.of(), List.of(), null, false);
    }

    public AdminSettings withTokens(List<AdminToken> newTokens) {
        return new AdminSettings(host, port, hosts, newTokens, tls, requireClientCerts);
    }

    public AdminSettings withHosts(List<String> newHosts) {
        return new AdminSettings(host, port, newHosts, tokens, tls, requireClientCerts);
    }

    public AdminSettings withTls(SSLContext context, boolean clientCerts) {
        return new AdminSettings(host, port, hosts, tokens, context, clientCerts);
    }
}
