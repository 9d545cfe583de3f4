package dev.turnout.proxy.config;

import dev.turnout.admin.AdminToken;
import java.nio.file.Path;
import java.util.List;

/**
 * The admin listener.
 *
 * @param tokens   the bearer tokens {@code /api/*} accepts ({@code token} or {@code token-file} as
 *                 {@code admin}, then {@code tokens}); empty when none is needed
 * @param hosts    Host names answered besides the listen address and localhost
 * @param insecure whether a listener off loopback may go without a token (logged)
 * @param tls      admin over TLS, or null for plain HTTP
 */
public record AdminConfig(HostPort listen, List<AdminToken> tokens, List<String> hosts, boolean insecure, Tls tls) {

    /** The token named by {@code turnout.admin.token} or {@code turnout.admin.token-file} in the audit log. */
    public static final String SINGLE_TOKEN_NAME = "admin";

    public AdminConfig {
        tokens = List.copyOf(tokens);
        hosts = List.copyOf(hosts);
    }

    /**
     * The admin listener's certificate and key (PEM files), and for mutual TLS the CA whose
     * certificates clients must show.
     *
     * @param clientCa null: any client may connect (a token still guards {@code /api/*})
     */
    public record Tls(Path cert, Path key, Path clientCa) {
    }

    @Override
    public String toString() {
        return "AdminConfig[listen=" + listen + ", tokens=" + tokens + ", hosts=" + hosts + ", insecure=" + insecure
                + ", tls=" + tls + "]";
    }
}
