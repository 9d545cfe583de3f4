package dev.turnout.proxy.config;

import java.nio.file.Path;

/**
 * How a pool's backends are spoken to: the HTTP version, and TLS when {@code tls} is not null.
 *
 * @param tls the backends are reached over TLS and their certificates verified; null for plain TCP
 */
public record PoolTransport(Protocol protocol, Tls tls) {

    /** HTTP/1.1 over plain TCP: a pool that says nothing of its transport. */
    public static final PoolTransport PLAIN_HTTP1 = new PoolTransport(Protocol.HTTP_1_1, null);

    /** Whether requests travel as HTTP/2 streams over shared connections. */
    public boolean http2() {
        return protocol != Protocol.HTTP_1_1;
    }

    /** The HTTP version spoken to the backends. */
    public enum Protocol {
        HTTP_1_1("http/1.1"),
        /** HTTP/2 over plain TCP, with prior knowledge. */
        H2C("h2c"),
        /** HTTP/2 over TLS, negotiated by ALPN. */
        H2("h2");

        private final String configName;

        Protocol(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }

    /**
     * TLS to the backends.
     *
     * @param ca         PEM file of the certificates that may sign a backend's; null: the JVM's trust store
     * @param serverName the name sent by SNI and verified in the certificate; null: each backend's address host
     * @param verify     false accepts any certificate (logged at start-up); for tests and migrations only
     * @param cert       PEM client certificate chain for mutual TLS, with {@code key}; both null without one
     */
    public record Tls(Path ca, String serverName, boolean verify, Path cert, Path key) {
    }
}
