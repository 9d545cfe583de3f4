package dev.turnout.proxy.tls;

import dev.turnout.proxy.config.AdminConfig;
import dev.turnout.proxy.config.ConfigError;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The admin listener's TLS, as the JDK {@link SSLContext} its HTTPS server takes: the certificate
 * and key from PEM files and, for mutual TLS, the client CA as the only trust anchor. Netty's
 * JDK-provider builder reads the PEM files (the same reader the data plane's TLS uses), so the admin
 * module itself stays free of Netty.
 */
public final class AdminTlsContext {

    private static final String KEY = "turnout.admin.tls";

    private AdminTlsContext() {
    }

    /** Builds the context; files that cannot be used stop start-up naming their key. */
    public static SSLContext load(AdminConfig.Tls tls) {
        SslContextBuilder builder;
        try {
            builder = SslContextBuilder.forServer(tls.cert().toFile(), tls.key().toFile()).sslProvider(SslProvider.JDK);
        } catch (IllegalArgumentException e) {
            throw unusable(KEY + ".cert", tls.cert() + " with " + tls.key() + " (" + KEY + ".key)", e);
        }
        if (tls.clientCa() != null) {
            try {
                builder.trustManager(tls.clientCa().toFile()).clientAuth(ClientAuth.REQUIRE);
            } catch (IllegalArgumentException e) {
                throw unusable(KEY + ".client-ca", tls.clientCa().toString(), e);
            }
        }
        try {
            return ((JdkSslContext) builder.build()).context();
        } catch (SSLException | IllegalArgumentException e) {
            throw unusable(KEY, tls.cert() + " with " + tls.key(), e);
        }
    }

    private static ConfigError unusable(String key, String files, Exception e) {
        return new ConfigError(key + ": " + files + " cannot be used (" + rootMessage(e)
                + "; expected: PEM certificates and an unencrypted PEM private key)");
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
