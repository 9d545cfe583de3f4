package dev.turnout.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestCertificates;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS termination with certificates made by openssl inside the test: SNI choice, forwarding, reload, redirect. */
class TlsTerminationTest {

    @TempDir
    static Path dir;

    private static TestCertificates certificates;
    /**
     * Half of Linux's shortest delayed acknowledgement (TCP_DELACK_MIN, 40 ms, which a coarse timer tick may cut to 36): a
     * request that waited for the timer cannot be answered sooner than this.
     */
    private static final long BELOW_DELAYED_ACK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.withCa(dir);
        certificates.server("DNS:a.test", "a");
        certificates.server("DNS:b.test", "b");
        certificates.server("DNS:localhost,IP:127.0.0.1", "local");
    }

    private static String config(FakeBackend backend, String tlsExtra) {
        return TestProxy.singlePool(backend) + "\ntls { listen = \"127.0.0.1:0\", certificates = [ "
                + "{ cert = \"" + dir.resolve("a.crt") + "\", key = \"" + dir.resolve("a.key") + "\" }, "
                + "{ cert = \"" + dir.resolve("b.crt") + "\", key = \"" + dir.resolve("b.key") + "\" } ]" + tlsExtra + " }";
    }

    private static SSLContext trustingTheTestCa() throws Exception {
        return certificates.trustingTheCa();
    }

    /** Connects over TLS trusting the test CA, naming {@code sniHost} (or none). */
    private static SSLSocket connect(InetSocketAddress address, String sniHost) throws Exception {
        SSLContext context = trustingTheTestCa();
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(address.getAddress(), address.getPort());
        socket.setSoTimeout(10_000);
        SSLParameters parameters = socket.getSSLParameters();
        if (sniHost != null) {
            parameters.setServerNames(List.of(new SNIHostName(sniHost)));
        }
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    private static String subject(SSLSocket socket) throws Exception {
        return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    private static String exchange(SSLSocket socket, String host) throws IOException {
        socket.getOutputStream().write(("GET /secure HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void theCertificateIsChosenBySniAndRequestsAreForwardedAsHttps() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "proto=" + r.headers().get("x-forwarded-proto")));
                Turnout proxy = TestProxy.start(config(backend, ""))) {
            try (SSLSocket a = connect(proxy.tlsAddress(), "a.test")) {
                assertEquals("CN=a.test", subject(a));
                assertTrue(a.getSession().getProtocol().startsWith("TLSv1."), a.getSession().getProtocol());
                String answer = exchange(a, "a.test");
                assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("proto=https"), answer);
            }
            try (SSLSocket b = connect(proxy.tlsAddress(), "b.test")) {
                assertEquals("CN=b.test", subject(b));
            }
            try (SSLSocket none = connect(proxy.tlsAddress(), null)) {
                assertEquals("CN=a.test", subject(none), "no SNI: the first certificate");
            }
            try (RawClient plain = RawClient.connect(proxy.address())) {
                assertEquals("proto=http", plain.get("a.test", "/").bodyText(), "the plain listener still serves");
            }
        }
    }

    /**
     * A client that leaves Nagle's algorithm on (Java's sockets do, as do many libraries) sends each write only once its
     * last one is acknowledged, and Java's TLS 1.3 client sends its ChangeCipherSpec alone, before its Finished, to which
     * a server has nothing to answer. The proxy acknowledges every handshake read at once instead of leaving it to the
     * kernel's delayed-ACK timer (40 ms at the least on Linux), so the handshake and the first request need not wait for
     * it; without that, every first request here does (nginx's too, measured with this client).
     */
    @Test
    void aClientThatLeavesNagleOnIsNotHeldForTheDelayedAcknowledgement() throws Exception {
        assumeTrue(Epoll.isAvailable(), "the acknowledgement is asked of Netty's epoll transport");
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "ok"));
                Turnout proxy = TestProxy.start(config(backend, ""))) {
            long fastestNanos = Long.MAX_VALUE;
            for (int i = 0; i < 10; i++) {
                try (SSLSocket socket = connect(proxy.tlsAddress(), "a.test")) {
                    assertFalse(socket.getTcpNoDelay(), "Nagle's algorithm stays on, as in most clients' defaults");
                    assertEquals("TLSv1.3", socket.getSession().getProtocol());
                    long start = System.nanoTime();
                    String answer = exchange(socket, "a.test");
                    fastestNanos = Math.min(fastestNanos, System.nanoTime() - start);
                    assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("ok"), answer);
                }
            }
            assertTrue(fastestNanos < BELOW_DELAYED_ACK_NANOS, "every first request waited for the delayed acknowledgement;"
                    + " the fastest took " + TimeUnit.NANOSECONDS.toMillis(fastestNanos) + " ms");
        }
    }

    @Test
    void http2ClientsGetH2AndConcurrentStreamsAreEachProxied() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "saw " + r.uri() + " proto="
                + r.headers().get("x-forwarded-proto") + " h2-headers=" + r.headers().names().stream()
                        .filter(n -> n.toLowerCase(Locale.ROOT).startsWith("x-http2")).count()));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + "\ntls { listen = \"127.0.0.1:0\", "
                        + "certificates = [ { cert = \"" + dir.resolve("local.crt") + "\", key = \"" + dir.resolve("local.key")
                        + "\" } ] }")) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trustingTheTestCa())
                    .connectTimeout(Duration.ofSeconds(5)).build();
            List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                streams.add(client.sendAsync(HttpRequest.newBuilder(URI.create("https://localhost:" + proxy.tlsAddress().getPort()
                        + "/s" + i)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> answer = streams.get(i).get(15, TimeUnit.SECONDS);
                assertEquals(200, answer.statusCode());
                assertEquals(HttpClient.Version.HTTP_2, answer.version(), "negotiated by ALPN");
                assertEquals("saw /s" + i + " proto=https h2-headers=0", answer.body());
            }
            assertEquals(20, backend.requestCount());
        }
    }

    @Test
    void aCertificateRenewedOnDiskIsServedWithoutARestart() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("renew"));
        Files.copy(dir.resolve("a.crt"), certs.resolve("site.crt"));
        Files.copy(dir.resolve("a.key"), certs.resolve("site.key"));
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + "\ntls { listen = \"127.0.0.1:0\", "
                        + "certificates = [ { cert = \"" + certs.resolve("site.crt") + "\", key = \"" + certs.resolve("site.key")
                        + "\" } ] }")) {
            try (SSLSocket before = connect(proxy.tlsAddress(), "a.test")) {
                assertEquals("CN=a.test", subject(before));
            }
            // Renewed: b's pair takes the place of a's, as certbot would rewrite the files.
            Files.copy(dir.resolve("b.key"), certs.resolve("site.key"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(dir.resolve("b.crt"), certs.resolve("site.crt"), StandardCopyOption.REPLACE_EXISTING);
            Await.until("the renewed certificate", Duration.ofSeconds(20), () -> {
                try (SSLSocket after = connect(proxy.tlsAddress(), "b.test")) {
                    return subject(after).equals("CN=b.test");
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    @Test
    void plainHttpIsRedirectedWhenAsked() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x"));
                Turnout proxy = TestProxy.start(config(backend, ", redirect-http = true"));
                RawClient plain = RawClient.connect(proxy.address())) {
            RawResponse redirect = plain.get("a.test:8080", "/path?q=1");
            assertEquals(308, redirect.status());
            assertEquals("https://a.test:" + proxy.tlsAddress().getPort() + "/path?q=1", redirect.header("location"));
            assertEquals(0, backend.requestCount());
        }
    }

    @Test
    void anUnusableCertificateStopsStartNamingItsKey() {
        ConfigError missing = assertThrows(ConfigError.class, () -> ConfigLoader.parse("turnout { tls { certificates = [ "
                + "{ cert = \"" + dir.resolve("nope.crt") + "\", key = \"" + dir.resolve("a.key") + "\" } ] } }"));
        assertTrue(missing.getMessage().startsWith("turnout.tls.certificates[0].cert:"), missing.getMessage());
        ConfigError mismatched = assertThrows(ConfigError.class, () -> TlsContexts.load(ConfigLoader.parse(
                "turnout { tls { certificates = [ { cert = \"" + dir.resolve("a.crt") + "\", key = \"" + dir.resolve("ca.crt")
                        + "\" } ] } }").tls()));
        assertTrue(mismatched.getMessage().startsWith("turnout.tls.certificates[0]:"), mismatched.getMessage());
    }
}
