package dev.turnout.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.TestCertificates;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The admin listener over TLS, and over mutual TLS: only a client showing a certificate the
 * configured client CA signed gets a connection, and that certificate's subject names the caller
 * in the audit log.
 */
class AdminTlsTest {

    private static final Duration HANG_GUARD = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.withCa(dir);
        certificates.server("DNS:localhost,IP:127.0.0.1", "admin");
        certificates.client("/O=Turnout Ops/CN=deploy", "deploy", "ca");
        certificates.selfSigned("other-ca", "Some Other CA");
        certificates.client("/CN=intruder", "intruder", "other-ca");
    }

    private static String tls(boolean mutual) {
        return "admin { listen = \"127.0.0.1:0\", tls { cert = \"" + certificates.file("admin.crt") + "\", key = \""
                + certificates.file("admin.key") + "\"" + (mutual ? ", client-ca = \"" + certificates.file("ca.crt") + "\"" : "")
                + " } }\n";
    }

    private static HttpResponse<String> call(Turnout proxy, SSLContext client, String method, String path, String token)
            throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().sslContext(client).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(HANG_GUARD).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + proxy.adminAddress().getPort()
                + path)).timeout(HANG_GUARD).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Connects, sends a request and reads what comes back; a refused handshake shows as an exception or as nothing. */
    private static String rawExchange(Turnout proxy, SSLContext client) throws IOException {
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", proxy.adminAddress().getPort())) {
            socket.setSoTimeout((int) HANG_GUARD.toMillis());
            socket.startHandshake();
            socket.getOutputStream().write("GET /api/v1/pools HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void withAClientCaOnlyAClientWithACertificateItSignedGetsIn() throws Exception {
        try (FakeBackend app = FakeBackend.start();
                Turnout proxy = TestProxy.start(tls(true) + TestProxy.singlePool(app))) {
            HttpResponse<String> pools = call(proxy, certificates.showing("deploy"), "GET", "/api/v1/pools", null);
            assertEquals(200, pools.statusCode(), pools.body());
            assertTrue(pools.body().contains("\"b0\""), pools.body());

            for (SSLContext stranger : List.of(certificates.trustingTheCa(), certificates.showing("intruder"))) {
                // TLS 1.3 may finish the client's side of the handshake before the server refuses: then the refusal
                // is an alert on the first read. Either way no HTTP answer ever comes.
                try {
                    String answer = rawExchange(proxy, stranger);
                    assertEquals("", answer, "a client without a certificate from the client CA got an answer");
                } catch (IOException refused) {
                    // the handshake failed, as it should
                }
                assertThrows(IOException.class, () -> call(proxy, stranger, "GET", "/healthz", null));
            }
        }
    }

    @Test
    void theClientCertificatesSubjectNamesTheCallerInTheAuditLog() throws Exception {
        Logger audit = (Logger) LoggerFactory.getLogger("turnout.audit");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        Level level = audit.getLevel();
        audit.setLevel(Level.INFO);
        audit.addAppender(lines);
        try (FakeBackend app = FakeBackend.start();
                Turnout proxy = TestProxy.start(tls(true) + TestProxy.singlePool(app))) {
            HttpResponse<String> drain = call(proxy, certificates.showing("deploy"), "POST",
                    "/api/v1/pools/app/backends/b0/drain", null);
            assertEquals(200, drain.statusCode(), drain.body());

            List<String> logged;
            synchronized (lines) {
                logged = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            }
            assertEquals(1, logged.size(), logged::toString);
            assertTrue(logged.get(0).matches("127\\.0\\.0\\.1:\\d+ cert=\"CN=deploy,O=Turnout Ops\" drain backend app/b0: .*"),
                    logged.get(0));
        } finally {
            audit.detachAppender(lines);
            audit.setLevel(level);
        }
    }

    @Test
    void withoutAClientCaAnyClientConnectsAndTheTokenGuardsTheApi() throws Exception {
        try (FakeBackend app = FakeBackend.start();
                Turnout proxy = TestProxy.start(tls(false).replace("tls {", "token = tls-Token, tls {")
                        + TestProxy.singlePool(app))) {
            SSLContext client = certificates.trustingTheCa();
            assertEquals(200, call(proxy, client, "GET", "/healthz", null).statusCode());
            assertEquals(401, call(proxy, client, "GET", "/api/v1/pools", null).statusCode());
            assertEquals(200, call(proxy, client, "GET", "/api/v1/pools", "tls-Token").statusCode());
        }
    }

    @Test
    void aKeyThatIsNotAKeyStopsStartUpNamingTheKey() throws Exception {
        String broken = tls(false).replace(certificates.file("admin.key").toString(), certificates.file("ca.crt").toString());

        ConfigError error = assertThrows(ConfigError.class, () -> TestProxy.start(broken));

        assertTrue(error.getMessage().startsWith("turnout.admin.tls"), error.getMessage());
        assertFalse(error.getMessage().contains("Exception"), error.getMessage());
    }
}
