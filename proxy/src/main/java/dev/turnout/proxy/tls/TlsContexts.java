package dev.turnout.proxy.tls;

import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.TlsConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCredential;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server certificates, chosen by SNI: each is mapped from the DNS names in its certificate
 * (subject alternative names, else the common name; {@code *.example.com} matches one label), and
 * the first answers clients that name no host or an unknown one. OpenSSL ({@link #engine()}) is
 * used where Netty's native binding loads, the JDK's TLS otherwise; TLS 1.3 and 1.2 only, with ALPN
 * offering h2 and http/1.1. Sessions resume: TLS 1.2 from the context's session cache, TLS 1.3
 * with tickets (PSK) whose key BoringSSL makes and rotates itself every two days.
 *
 * <p>{@link #reloadIfChanged()} reads the files again when one of them changed: new handshakes
 * get the new certificates, connections already open keep theirs. A file that cannot be read
 * keeps the old certificates in force, and says so in the log.
 */
public final class TlsContexts {

    private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final List<TlsConfig.Certificate> files;
    private volatile Mapping<String, SslContext> byHost;
    private long lastModified;

    private TlsContexts(List<TlsConfig.Certificate> files) {
        this.files = files;
    }

    /**
     * The TLS engine of the data plane's listener: {@code openssl} (BoringSSL, through Netty's
     * tcnative, shipped for linux-x86_64) where its native library loads, else {@code jdk}.
     */
    public static String engine() {
        return SslProvider.isAlpnSupported(SslProvider.OPENSSL) ? "openssl" : "jdk";
    }

    /** Why the JDK's engine serves, or null when OpenSSL does. */
    public static String whyNotOpenSsl() {
        if (engine().equals("openssl")) {
            return null;
        }
        Throwable cause = OpenSsl.unavailabilityCause();
        return cause != null ? rootMessage(cause) : "OpenSSL " + OpenSsl.versionString() + " without ALPN";
    }

    /** Loads every certificate; a file that cannot be used stops start-up naming its key. */
    public static TlsContexts load(TlsConfig config) {
        TlsContexts contexts = new TlsContexts(config.certificates());
        try {
            contexts.byHost = contexts.build();
        } catch (UnusableCertificate e) {
            throw new ConfigError("turnout.tls.certificates[" + e.index + "]: " + e.getMessage());
        }
        contexts.lastModified = contexts.newestChange();
        return contexts;
    }

    /** The context for a client's SNI host name (null or unknown: the default). */
    public SslContext forHost(String host) {
        return byHost.map(host);
    }

    /** Reads the files again if any changed since the last load; returns whether it did. */
    public synchronized boolean reloadIfChanged() {
        long newest = newestChange();
        if (newest == lastModified) {
            return false;
        }
        try {
            byHost = build();
            lastModified = newest;
            LOG.info("TLS certificates reloaded from {}", files);
            return true;
        } catch (UnusableCertificate e) {
            LOG.error("TLS certificates not reloaded: turnout.tls.certificates[{}]: {}; the previous ones stay in force",
                    e.index, e.getMessage());
            lastModified = newest; // said once, not on every check; a later fix is a change again
            return false;
        } catch (RuntimeException e) {
            // Thrown out of the scheduled check, it would stop every later one without a word.
            LOG.error("TLS certificates not reloaded ({}); the previous ones stay in force", rootMessage(e), e);
            lastModified = newest;
            return false;
        }
    }

    private long newestChange() {
        long newest = 0;
        for (TlsConfig.Certificate file : files) {
            newest = Math.max(newest, modified(file.cert()));
            newest = Math.max(newest, modified(file.key()));
        }
        return newest;
    }

    private static long modified(Path path) {
        try {
            return Files.getLastModifiedTime(path).toMillis() ^ Files.size(path);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * One context per set of names: certificates for the same names (an ECDSA and an RSA one) share
     * a context that shows each client the one it can use.
     */
    private Mapping<String, SslContext> build() throws UnusableCertificate {
        Map<List<String>, List<Integer>> byNames = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            List<String> names = new ArrayList<>(hostNames(i, files.get(i).cert()));
            Collections.sort(names);
            byNames.computeIfAbsent(names, n -> new ArrayList<>()).add(i);
        }
        DomainWildcardMappingBuilder<SslContext> builder = null;
        for (Map.Entry<List<String>, List<Integer>> group : byNames.entrySet()) {
            List<Integer> indexes = group.getValue();
            SslContext context = indexes.size() == 1 ? context(indexes.get(0), files.get(indexes.get(0))) : context(indexes);
            if (builder == null) {
                builder = new DomainWildcardMappingBuilder<>(context); // the first certificate's: the default
            }
            for (String name : group.getKey()) {
                builder.add(name, context);
            }
        }
        return builder.build();
    }

    private SslContext context(List<Integer> indexes) throws UnusableCertificate {
        CertifiedKeys keys = new CertifiedKeys();
        for (int index : indexes) {
            TlsConfig.Certificate file = files.get(index);
            try {
                keys.add(file.cert(), file.key());
            } catch (IOException | GeneralSecurityException e) {
                throw new UnusableCertificate(index, file.cert() + " with " + file.key() + " cannot be used beside another "
                        + "certificate for the same names (" + rootMessage(e) + "; expected: a PEM certificate chain and its "
                        + "unencrypted PKCS#8 PEM private key)");
            }
        }
        if (!engine().equals("openssl") || !OpenSslCredential.isAvailable()) {
            try {
                // The JDK's engine asks the key manager by the client's signature algorithms; Netty's OpenSSL binding
                // would ask by cipher kind, which shows an RSA-only client the ECDSA certificate.
                return configured(SslContextBuilder.forServer(keys)).sslProvider(SslProvider.JDK).build();
            } catch (SSLException | IllegalArgumentException e) {
                throw notTogether(indexes, e);
            }
        }
        // BoringSSL picks among its credentials for each handshake, by the client's signature algorithms and, in
        // TLS 1.2, its cipher suites. A server context needs a key of its own too (the first one's): Netty sets it
        // on every handshake, BoringSSL considers it after the credentials, and it is what the Java side's
        // SSLSession reports as the local certificate, whichever was shown.
        List<OpenSslCredential> credentials = new ArrayList<>();
        try {
            for (int i = 0; i < indexes.size(); i++) {
                try {
                    credentials.add(keys.credential(i));
                } catch (RuntimeException e) {
                    TlsConfig.Certificate file = files.get(indexes.get(i));
                    throw new UnusableCertificate(indexes.get(i), file.cert() + " with " + file.key() + " cannot be used ("
                            + rootMessage(e) + ")");
                }
            }
            return configured(SslContextBuilder.forServer(keys.getPrivateKey("0"), keys.getCertificateChain("0")))
                    .addCredentials(credentials).build();
        } catch (SSLException | RuntimeException e) {
            throw notTogether(indexes, e);
        } finally {
            credentials.forEach(OpenSslCredential::release); // the context holds its own references
        }
    }

    private static UnusableCertificate notTogether(List<Integer> indexes, Exception e) {
        return new UnusableCertificate(indexes.get(0), "the certificates for the same names cannot be used together ("
                + rootMessage(e) + ")");
    }

    private static SslContext context(int index, TlsConfig.Certificate file) throws UnusableCertificate {
        try {
            return configured(SslContextBuilder.forServer(file.cert().toFile(), file.key().toFile())).build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new UnusableCertificate(index, file.cert() + " with " + file.key() + " cannot be used (" + rootMessage(e)
                    + "; expected: a PEM certificate chain and its unencrypted PEM private key)");
        }
    }

    private static SslContextBuilder configured(SslContextBuilder builder) {
        return builder.sslProvider(engine().equals("openssl") ? SslProvider.OPENSSL : SslProvider.JDK)
                .protocols(PROTOCOLS)
                // HTTP/2 for clients that offer it (ALPN), HTTP/1.1 for the others.
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
    }

    private static List<String> hostNames(int index, Path certFile) throws UnusableCertificate {
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(certFile)) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | CertificateException e) {
            throw new UnusableCertificate(index, certFile + " is not a readable PEM certificate (" + rootMessage(e) + ")");
        }
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = cert.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alternative : alternatives) {
                    if (Integer.valueOf(2).equals(alternative.get(0))) { // dNSName
                        names.add(String.valueOf(alternative.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
            if (names.isEmpty()) {
                for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(String.valueOf(rdn.getValue()).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateException | InvalidNameException e) {
            throw new UnusableCertificate(index, certFile + " has unreadable names (" + rootMessage(e) + ")");
        }
        return names;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /** A certificate entry that cannot be used, by its index in the configuration. */
    private static final class UnusableCertificate extends Exception {

        private static final long serialVersionUID = 1L;
        private final int index;

        UnusableCertificate(int index, String message) {
            super(message, null, false, false);
            this.index = index;
        }
    }
}
