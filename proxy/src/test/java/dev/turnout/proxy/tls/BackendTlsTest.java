package dev.turnout.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestCertificates;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Backends reached over TLS (HTTP/1.1 here; h2 in GrpcProxyTest): the certificate verified against
 * the pool's CA file and name, failures that never send the request, a retry elsewhere, mutual TLS
 * and health checks over TLS. Certificates are made by openssl in the test.
 */
class BackendTlsTest {

    @TempDir
    static Path dir;

    private static TestCertificates certificates;
    private final Logger upstreamLog = (Logger) LoggerFactory.getLogger("dev.turnout.proxy.upstream.UpstreamChannels");
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.withCa(dir);
        certificates.server("DNS:backend.test,IP:127.0.0.1", "backend");
        certificates.selfSigned("other-ca", "Some Other CA");
        certificates.server("DNS:backend.test,IP:127.0.0.1", "impostor", "other-ca");
        certificates.client("/CN=turnout/O=Edge", "turnout-client", "ca");
    }

    @BeforeEach
    void captureLog() {
        logged.start();
        upstreamLog.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        upstreamLog.detachAppender(logged);
    }

    private static SslContext server(String name, boolean requireClientCertificate) throws Exception {
        SslContextBuilder builder = SslContextBuilder.forServer(certificates.file(name + ".crt").toFile(),
                certificates.file(name + ".key").toFile()).sslProvider(SslProvider.JDK);
        if (requireClientCertificate) {
            builder.clientAuth(ClientAuth.REQUIRE).trustManager(certificates.file("ca.crt").toFile());
        }
        return builder.build();
    }

    private static String pool(String tls, FakeBackend... backends) {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < backends.length; i++) {
            list.append(i == 0 ? "" : ", ").append(TestProxy.backend("b" + i, backends[i], 1));
        }
        return "pools { app { tls { " + tls + " }, backends = [ " + list + " ] } }\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { app = 100 } } ]";
    }

    private static String ca() {
        return "ca = \"" + certificates.file("ca.crt") + "\"";
    }

    private List<String> warnings() {
        synchronized (logged) {
            return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Test
    void aBackendVerifiedAgainstTheCaFileAnswersByNameOrByAddress() throws Exception {
        try (FakeBackend backend = FakeBackend.startTls(server("backend", false), Reply.answer(r -> "secure " + r.uri()))) {
            for (String name : new String[] {", server-name = backend.test", ""}) {
                try (Turnout proxy = TestProxy.start(pool(ca() + name, backend));
                        RawClient client = RawClient.connect(proxy.address())) {
                    RawResponse r = client.get("a.test", "/x");
                    assertEquals(200, r.status(), name + ": " + r);
                    assertEquals("secure /x", r.bodyText());
                    assertEquals("secure /y", client.get("a.test", "/y").bodyText(), "the TLS connection is kept and reused");
                }
            }
            assertEquals(2, backend.connectionCount(), "one TLS connection per proxy");
        }
    }

    @Test
    void aCertificateTheCaDidNotSignGets502NeverSeesTheRequestAndIsLogged() throws Exception {
        try (FakeBackend impostor = FakeBackend.startTls(server("impostor", false), Reply.ok("should not be seen"));
                Turnout proxy = TestProxy.start(pool(ca() + ", server-name = backend.test", impostor));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("a.test", "/secret");
            assertEquals(502, r.status(), r::toString);
            assertTrue(r.bodyText().contains("TLS with the backend failed"), r.bodyText());
            assertEquals(0, impostor.requestCount(), "not a byte of the request went to it");
            List<String> lines = warnings();
            assertEquals(1, lines.size(), lines::toString);
            assertTrue(lines.get(0).startsWith("pool app backend b0 (" + impostor.address() + "): TLS with the backend failed"),
                    lines.get(0));
            assertTrue(lines.get(0).contains("unable to find valid certification path"), "the reason: " + lines.get(0));
            assertEquals(502, client.get("a.test", "/again").status());
            assertEquals(1, warnings().size(), "the same failure again is not logged again at once");
        }
    }

    @Test
    void aCertificateForAnotherNameGets502() throws Exception {
        try (FakeBackend backend = FakeBackend.startTls(server("backend", false), Reply.ok());
                Turnout proxy = TestProxy.start(pool(ca() + ", server-name = other.test", backend));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(502, client.get("a.test", "/").status());
            assertEquals(0, backend.requestCount());
            assertTrue(warnings().get(0).contains("other.test"), warnings()::toString);
        }
    }

    @Test
    void aFailedHandshakeSendsTheRequestToAnotherBackend() throws Exception {
        try (FakeBackend impostor = FakeBackend.startTls(server("impostor", false), Reply.ok("impostor"));
                FakeBackend good = FakeBackend.startTls(server("backend", false), Reply.ok("good"));
                Turnout proxy = TestProxy.start(pool(ca() + ", server-name = backend.test", impostor, good));
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 4; i++) {
                RawResponse r = client.post("a.test", "/order", "one order");
                assertEquals(200, r.status(), r::toString);
                assertEquals("good", r.bodyText(), "even a POST: it never reached the impostor");
            }
            assertEquals(0, impostor.requestCount());
        }
    }

    @Test
    void mutualTlsShowsTheClientCertificate() throws Exception {
        String clientCertificate = ", cert = \"" + certificates.file("turnout-client.crt") + "\", key = \""
                + certificates.file("turnout-client.key") + "\"";
        try (FakeBackend backend = FakeBackend.startTls(server("backend", true), Reply.ok("client certificate accepted"))) {
            try (Turnout proxy = TestProxy.start(pool(ca() + clientCertificate, backend));
                    RawClient client = RawClient.connect(proxy.address())) {
                RawResponse r = client.get("a.test", "/");
                assertEquals(200, r.status(), r::toString);
                assertEquals("client certificate accepted", r.bodyText());
            }
            try (Turnout proxy = TestProxy.start(pool(ca(), backend));
                    RawClient client = RawClient.connect(proxy.address())) {
                assertEquals(502, client.get("a.test", "/").status(), "without a client certificate the backend refuses");
            }
            assertEquals(1, backend.requestCount());
        }
    }

    @Test
    void anH2PoolRefusesABackendThatDoesNotAgreeToH2() throws Exception {
        try (FakeBackend http11Only = FakeBackend.startTls(server("backend", false), Reply.ok());
                Turnout proxy = TestProxy.start(pool(ca(), http11Only).replace("tls {", "protocol = h2, tls {"));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(502, client.get("a.test", "/").status());
            assertEquals(0, http11Only.requestCount());
            assertTrue(warnings().get(0).contains("did not agree to h2"), warnings()::toString);
        }
    }

    @Test
    void healthChecksOfATlsPoolUseTlsToo() throws Exception {
        String checks = "health-check { path = \"/health\", interval = 200ms, timeout = 150ms, healthy-threshold = 1, "
                + "unhealthy-threshold = 1 }, ";
        try (FakeBackend good = FakeBackend.startTls(server("backend", false), Reply.ok());
                FakeBackend impostor = FakeBackend.startTls(server("impostor", false), Reply.ok());
                Turnout proxy = TestProxy.start(pool(ca(), good, impostor).replace("tls {", checks + "tls {"))) {
            Await.until("the verified backend up and the other down", Duration.ofSeconds(10),
                    () -> proxy.control().backend("app", "b0").health().equals("up")
                            && proxy.control().backend("app", "b1").health().equals("down"));
            assertTrue(good.requests().stream().allMatch(r -> r.uri().equals("/health")));
            assertEquals(0, impostor.requestCount());
        }
    }
}
