package dev.turnout.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestCertificates;
import dev.turnout.proxy.testing.TestProxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLS listener's engine and session resumption, seen from openssl's own client: a session
 * saved from one connection ({@code -sess_out}) is resumed by the next ({@code -sess_in}), in TLS
 * 1.2 (session cache) and 1.3 (tickets).
 */
class TlsSessionTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestCertificates.withCa(dir).server("DNS:a.test", "a");
    }

    private static Turnout start(FakeBackend backend) throws Exception {
        return TestProxy.start(TestProxy.singlePool(backend) + "\ntls { listen = \"127.0.0.1:0\", certificates = [ "
                + "{ cert = \"" + dir.resolve("a.crt") + "\", key = \"" + dir.resolve("a.key") + "\" } ] }");
    }

    /** One request over a fresh connection by {@code openssl s_client}; its whole output. */
    private static String sClient(Turnout proxy, String version, String sessionOption, Path session) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/openssl", "s_client", "-connect",
                "127.0.0.1:" + proxy.tlsAddress().getPort(), "-servername", "a.test", "-" + version, sessionOption,
                session.toString(), "-ign_eof")
                .redirectErrorStream(true).start();
        // The answer is read to the end, so the TLS 1.3 ticket that follows the handshake is read too.
        p.getOutputStream().write("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl s_client timed out");
        return output;
    }

    @ParameterizedTest(name = "{0}: the next connection resumes the session")
    @ValueSource(strings = {"tls1_2", "tls1_3"})
    void aSavedSessionIsResumed(String version) throws Exception {
        Path session = dir.resolve(version + ".session");
        try (FakeBackend backend = FakeBackend.start(Reply.ok("hello"));
                Turnout proxy = start(backend)) {
            String first = sClient(proxy, version, "-sess_out", session);
            assertTrue(first.contains("New, TLSv1." + version.charAt(5)) && first.contains("hello"), first);
            String second = sClient(proxy, version, "-sess_in", session);
            assertTrue(second.contains("Reused, TLSv1." + version.charAt(5)), second);
            assertTrue(second.contains("hello"), second);
            assertEquals(2, backend.requestCount());
        }
    }

    @Test
    void theEngineIsOpenSslWhereItsLibraryShipsAndIsExported() throws Exception {
        boolean shipped = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
        if (shipped) {
            assertEquals("openssl", TlsContexts.engine(), "the linux-x86_64 BoringSSL library did not load: "
                    + TlsContexts.whyNotOpenSsl());
        }
        try (FakeBackend backend = FakeBackend.start(Reply.ok("hello"));
                Turnout proxy = start(backend)) {
            String metrics = AdminCalls.send(proxy, "GET", "/metrics", null).body();
            assertTrue(metrics.contains("turnout_tls_engine{engine=\"" + TlsContexts.engine() + "\"} 1"), metrics);
        }
    }
}
