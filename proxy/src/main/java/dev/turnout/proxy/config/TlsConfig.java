package dev.turnout.proxy.config;

import java.nio.file.Path;
import java.util.List;

/**
 * TLS termination on a listener of its own.
 *
 * @param certificates PEM files; the first is the default, the others are chosen by SNI
 * @param redirectHttp whether the plain listener answers 308 to the https address instead of proxying
 */
public record TlsConfig(HostPort listen, List<Certificate> certificates, boolean redirectHttp) {

    public TlsConfig {
        certificates = List.copyOf(certificates);
    }

    /** A certificate chain and its private key (PKCS#8 or PKCS#1), both PEM files. */
    public record Certificate(Path cert, Path key) {
    }
}
