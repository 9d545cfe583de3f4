package dev.turnout.proxy.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;

/**
 * Certificates made by openssl inside a test's directory: a CA ({@code ca.crt}, {@code ca.key}), and
 * server and client certificates it signs, each as {@code NAME.crt} and {@code NAME.key} (PEM). Where
 * openssl is missing, the calling test is skipped.
 */
public final class TestCertificates {

    private static final Path OPENSSL = Path.of("/usr/bin/openssl");
    private static final char[] PKCS12_PASSWORD = "test".toCharArray();

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Makes the CA in {@code dir}. */
    public static TestCertificates withCa(Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(OPENSSL), "openssl not installed (Debian package openssl): TLS tests skipped");
        TestCertificates certificates = new TestCertificates(dir);
        certificates.selfSigned("ca", "Turnout Test CA");
        return certificates;
    }

    public Path dir() {
        return dir;
    }

    /** {@code NAME.crt} or {@code NAME.key} in the directory. */
    public Path file(String name) {
        return dir.resolve(name);
    }

    /** A CA of its own (not signed by the test CA), as {@code name}.crt and .key. */
    public void selfSigned(String name, String commonName) throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + commonName,
                "-keyout", name + ".key", "-out", name + ".crt");
    }

    /** A server certificate for {@code names} (subjectAltName syntax) signed by the test CA, as {@code name}.crt and .key. */
    public void server(String names, String name) throws Exception {
        server(names, name, "ca");
    }

    /** A server certificate for {@code names} signed by {@code ca} ("ca" for the test CA, or a {@link #selfSigned} one). */
    public void server(String names, String name, String ca) throws Exception {
        String host = names.substring(names.indexOf(':') + 1).split(",")[0];
        sign(name, "/CN=" + host, "subjectAltName=" + names + "\n", ca);
    }

    /**
     * A client certificate with this subject (such as {@code /CN=deploy/O=Turnout}) signed by {@code ca}
     * ("ca" for the test CA), as {@code name}.crt and .key, and {@code name}.p12 for a Java client.
     */
    public void client(String subject, String name, String ca) throws Exception {
        sign(name, subject, "extendedKeyUsage=clientAuth\n", ca);
        openssl("pkcs12", "-export", "-in", name + ".crt", "-inkey", name + ".key", "-out", name + ".p12",
                "-passout", "pass:" + new String(PKCS12_PASSWORD));
    }

    private void sign(String name, String subject, String extensions) throws Exception {
        sign(name, subject, extensions, "ca");
    }

    private void sign(String name, String subject, String extensions, String ca) throws Exception {
        Files.writeString(dir.resolve(name + ".ext"), extensions);
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", name + ".key", "-out", name + ".csr");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".crt");
    }

    /** A client context that trusts only the test CA and shows no certificate of its own. */
    public SSLContext trustingTheCa() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers(), null);
        return context;
    }

    /** A client context that trusts only the test CA and shows the client certificate {@code name}. */
    public SSLContext showing(String name) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
            keys.load(in, PKCS12_PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PKCS12_PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), trustManagers(), null);
        return context;
    }

    private javax.net.ssl.TrustManager[] trustManagers() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve("ca.crt"))) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        return tmf.getTrustManagers();
    }

    private void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(OPENSSL.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl timed out");
        assertEquals(0, p.exitValue(), output);
    }
}
