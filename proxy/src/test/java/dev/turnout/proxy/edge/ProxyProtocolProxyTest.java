package dev.turnout.proxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AccessLogLines;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.ProxyProtocolHeaders;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestCertificates;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code proxy-protocol = true} on real sockets: the address in a v1 or v2 header is the client for the access
 * list, the rate limit, the access log and X-Forwarded-For, on the plain and the TLS listener; a connection
 * that does not start with a valid header is closed.
 */
class ProxyProtocolProxyTest {

    @TempDir
    static Path dir;

    private static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.withCa(dir);
        certificates.server("DNS:localhost,IP:127.0.0.1", "local");
    }

    private static String config(FakeBackend backend) {
        return "proxy-protocol = true\n"
                + "pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] } }\n"
                + "routes = [\n"
                + "  { name = denied, path-prefix = \"/denied\", split { app = 100 }, deny = [\"203.0.113.0/24\"] }\n"
                + "  { name = limited, path-prefix = \"/limited\", split { app = 100 }, rate-limit { rate = 1/h, burst = 1 } }\n"
                + "  { name = web, split { app = 100 } }\n"
                + "]\n"
                + "tls { listen = \"127.0.0.1:0\", certificates = [ { cert = \"" + dir.resolve("local.crt") + "\", key = \""
                + dir.resolve("local.key") + "\" } ] }";
    }

    private static FakeBackend echoingClient() throws InterruptedException {
        return FakeBackend.start(Reply.answer(r -> r.header("X-Forwarded-For") + " " + r.header("X-Forwarded-Proto")));
    }

    /** One request on a connection that starts with {@code header}. */
    private static RawResponse through(Turnout proxy, byte[] header, String path) throws IOException {
        try (RawClient client = RawClient.connect(proxy.address())) {
            client.send(ProxyProtocolHeaders.then(header, "GET " + path + " HTTP/1.1\r\nHost: a.test\r\n\r\n"));
            return client.readResponse();
        }
    }

    @Test
    void aV1HeaderNamesTheClientForForwardingTheLogTheAccessListAndTheRateLimit() throws Exception {
        try (AccessLogLines log = AccessLogLines.capture();
                FakeBackend backend = echoingClient();
                Turnout proxy = TestProxy.start(config(backend))) {
            byte[] client = ProxyProtocolHeaders.v1("198.51.100.7", "192.0.2.1", 51000, 80);
            assertEquals("198.51.100.7 http", through(proxy, client, "/page").bodyText());
            assertTrue(log.awaitLine("\"GET /page\"").startsWith("198.51.100.7 "), log.lines().toString());

            assertEquals(200, through(proxy, client, "/denied").status());
            assertEquals(403, through(proxy, ProxyProtocolHeaders.v1("203.0.113.9", "192.0.2.1", 51000, 80), "/denied")
                    .status(), "the header's address is refused, not the balancer's");

            assertEquals(200, through(proxy, client, "/limited").status());
            assertEquals(429, through(proxy, client, "/limited").status());
            assertEquals(200, through(proxy, ProxyProtocolHeaders.v1("198.51.100.8", "192.0.2.1", 51000, 80), "/limited")
                    .status(), "another client behind the same balancer has a bucket of its own");
        }
    }

    @Test
    void aV2HeaderNamesAnIpv4OrIpv6Client() throws Exception {
        try (FakeBackend backend = echoingClient();
                Turnout proxy = TestProxy.start(config(backend))) {
            assertEquals("198.51.100.9 http", through(proxy, ProxyProtocolHeaders.v2("198.51.100.9", "192.0.2.1", 443, 80),
                    "/").bodyText());
            String ipv6 = through(proxy, ProxyProtocolHeaders.v2("2001:db8::7", "2001:db8::1", 443, 80), "/").bodyText();
            assertEquals(InetAddress.getByName("2001:db8::7"), InetAddress.getByName(ipv6.split(" ")[0]), ipv6);
            assertEquals(403, through(proxy, ProxyProtocolHeaders.v2("203.0.113.1", "192.0.2.1", 443, 80), "/denied").status());
        }
    }

    @Test
    void aConnectionWithABadHeaderOrNoneIsClosedUnanswered() throws Exception {
        try (FakeBackend backend = echoingClient();
                Turnout proxy = TestProxy.start(config(backend))) {
            for (String start : new String[] {"PROXY TCP4 198.51.100.7 nonsense\r\n", "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"}) {
                try (RawClient client = RawClient.connect(proxy.address())) {
                    client.send(start);
                    assertEquals(0, client.readUntilClosed().length, "closed with no answer after " + start.trim());
                }
            }
            assertEquals(0, backend.requestCount());
        }
    }

    @Test
    void theTlsListenerReadsTheHeaderBeforeTheHandshake() throws Exception {
        try (FakeBackend backend = echoingClient();
                Turnout proxy = TestProxy.start(config(backend))) {
            InetSocketAddress tls = proxy.tlsAddress();
            try (Socket plain = new Socket(tls.getAddress(), tls.getPort())) {
                plain.setSoTimeout(10_000);
                plain.getOutputStream().write(ProxyProtocolHeaders.v1("198.51.100.77", "192.0.2.1", 51000, 443));
                try (SSLSocket secure = (SSLSocket) certificates.trustingTheCa().getSocketFactory()
                        .createSocket(plain, "localhost", tls.getPort(), true)) {
                    secure.startHandshake();
                    secure.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    String answer = new String(secure.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                    assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("198.51.100.77 https"), answer);
                }
            }
        }
    }
}
