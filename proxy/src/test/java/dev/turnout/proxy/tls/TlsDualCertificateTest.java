package dev.turnout.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** An ECDSA and an RSA certificate for the same name: each client is shown the first of them it can use. */
class TlsDualCertificateTest {

    private static final Path OPENSSL = Path.of("/usr/bin/openssl");

    @org.junit.jupiter.api.io.TempDir
    static Path dir;

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + List.of(command));
        return output;
    }

    @BeforeAll
    static void makeCertificates() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(OPENSSL), "openssl not installed (Debian package openssl)");
        run(OPENSSL.toString(), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=a.test",
                "-addext", "subjectAltName=DNS:a.test", "-keyout", "rsa.key", "-out", "rsa.crt");
        run(OPENSSL.toString(), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=a.test", "-addext", "subjectAltName=DNS:a.test", "-keyout", "ec.key", "-out", "ec.crt");
    }

    /**
     * On OpenSSL the pick is BoringSSL's, among one credential per certificate. The fifth row is what a choice by
     * signature algorithms alone gets wrong: a TLS 1.2 client with RSA cipher suites only. The last is the
     * configured order (ECDSA first) over the client's, which holds on OpenSSL only (the JDK's engine follows the
     * client's order).
     */
    @ParameterizedTest(name = "{0} offering {1} (ciphers {3}): {2}")
    @CsvSource({"tls1_3, ECDSA+SHA256, ECDSA, ALL, any", "tls1_3, RSA-PSS+SHA256:RSA+SHA256, RSA-PSS, ALL, any",
        "tls1_2, ECDSA+SHA256, ECDSA, ALL, any", "tls1_2, RSA-PSS+SHA256:RSA+SHA256, RSA-PSS, ALL, any",
        "tls1_2, ECDSA+SHA256:RSA-PSS+SHA256, RSA-PSS, ECDHE-RSA-AES128-GCM-SHA256, any",
        "tls1_3, RSA-PSS+SHA256:ECDSA+SHA256, ECDSA, ALL, openssl"})
    void theClientsOfferPicksTheCertificate(String version, String offered, String shown, String ciphers, String engine)
            throws Exception {
        Assumptions.assumeTrue(engine.equals("any") || engine.equals(TlsContexts.engine()), "needs the " + engine + " engine");
        try (FakeBackend backend = FakeBackend.start(Reply.ok("hello"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend)
                        + "\ntls { listen = \"127.0.0.1:0\", certificates = [ "
                        + "{ cert = \"" + dir.resolve("ec.crt") + "\", key = \"" + dir.resolve("ec.key") + "\" }, "
                        + "{ cert = \"" + dir.resolve("rsa.crt") + "\", key = \"" + dir.resolve("rsa.key") + "\" } ] }")) {
            List<String> command = new ArrayList<>(List.of(OPENSSL.toString(), "s_client", "-connect",
                    "127.0.0.1:" + proxy.tlsAddress().getPort(), "-servername", "a.test", "-" + version, "-sigalgs", offered,
                    "-cipher", ciphers));
            String output = run(command.toArray(String[]::new));
            assertTrue(output.contains("Peer signature type: " + shown), output);
            assertEquals(-1, output.indexOf("handshake failure"), output);
        }
    }
}
