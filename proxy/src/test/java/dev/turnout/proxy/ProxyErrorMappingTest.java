package dev.turnout.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Payload;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestCertificates;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How backend failures reach the client: 502, 503, 504 before the answer started; a cut connection after. */
class ProxyErrorMappingTest {

    private static final String SHORT_TIMEOUTS = "timeouts { connect = 300ms, request = 300ms }\n";

    @Test
    void noBackendWithWeightAboveZeroIs503() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start("pools { app { backends = [ " + TestProxy.backend("b0", backend, 0) + " ] } }\n"
                        + "routes = [ { name = web, split { app = 100 } } ]");
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("app.test", "/");
            assertEquals(503, r.status(), r::toString);
            assertTrue(r.bodyText().contains("no backend"), r.bodyText());
            assertEquals(0, backend.connectionCount());
        }
    }

    @Test
    void refusedConnectionIs502AndTheClientConnectionStaysUsable() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (FakeBackend healthy = FakeBackend.start(Reply.ok("healthy"));
                Turnout proxy = TestProxy.start("pools {\n"
                        + "  dead { backends = [ " + TestProxy.backend("gone", "127.0.0.1:" + closedPort, 1) + " ] }\n"
                        + "  live { backends = [ " + TestProxy.backend("up", healthy, 1) + " ] }\n"
                        + "}\n"
                        + "routes = [\n"
                        + "  { name = dead, path-prefix = \"/dead\", split { dead = 100 } }\n"
                        + "  { name = live, path-prefix = \"/\", split { live = 100 } }\n"
                        + "]");
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("app.test", "/dead");
            assertEquals(502, r.status(), r::toString);
            assertTrue(r.bodyText().contains("refused"), r.bodyText());
            assertFalse(r.closes(), "a bodyless request's 502 need not close the client connection");
            assertEquals("healthy", client.get("app.test", "/alive").bodyText());
        }
    }

    @Test
    void backendClosingAfterReadingTheRequestIs502() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.closeAfterRequest());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("app.test", "/");
            assertEquals(502, r.status(), r::toString);
            assertTrue(r.bodyText().contains("closed the connection before answering"), r.bodyText());
            assertTrue(backend.awaitRequest(0).complete());
        }
    }

    @Test
    void backendAnsweringGarbageIs502() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.raw("SSH-2.0-OpenSSH_9.6 this is not HTTP\r\n\r\n"));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("app.test", "/");
            assertEquals(502, r.status(), r::toString);
            assertTrue(r.bodyText().contains("invalid response"), r.bodyText());
            // the next request gets a fresh backend connection: the broken one is not reused
            backend.replyWith(Reply.ok("fine"));
            assertEquals("fine", client.get("app.test", "/again").bodyText());
            assertEquals(2, backend.connectionCount());
        }
    }

    @Test
    void oversizeResponseHeadIs502() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x").header("X-Huge", "h".repeat(40_000)));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("app.test", "/");
            assertEquals(502, r.status(), r::toString);
        }
    }

    @Test
    void binaryGarbageThenCloseIs502() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.raw("\u0000\u0001\u00ff\u00fe\u0016\u0003\u0001").thenClose());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("app.test", "/");
            assertEquals(502, r.status(), r::toString);
        }
    }

    @Test
    void stallingBackendIs504() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.stall());
                Turnout proxy = TestProxy.start(SHORT_TIMEOUTS + TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.get("app.test", "/slow");
            assertEquals(504, r.status(), r::toString);
            assertTrue(r.bodyText().contains("did not answer in time"), r.bodyText());
            // the stalled backend connection is dropped, not pooled
            Await.until("the stalled backend connection to close", () -> backend.isClosed(1));
            backend.replyWith(Reply.ok("late but fine"));
            assertEquals("late but fine", client.get("app.test", "/next").bodyText());
        }
    }

    @Test
    void stallingBackendOnAReusedConnectionIs504() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(SHORT_TIMEOUTS + TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("app.test", "/first").status());
            backend.enqueue(Reply.stall());
            RawResponse r = client.get("app.test", "/second");
            assertEquals(504, r.status(), r::toString);
            assertEquals(1, backend.connectionCount(), "the second request reused the pooled connection");
        }
    }

    /**
     * A listener whose accept queue is full drops further SYNs, so a connect to it hangs until the
     * proxy's connect timeout fires.
     */
    @Test
    void connectTimeoutIs504() throws Exception {
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort());
            List<SocketChannel> fillers = new ArrayList<>();
            try {
                assumeTrue(fillAcceptQueue(target, fillers), "could not fill the accept queue on this kernel");
                try (Turnout proxy = TestProxy.start(SHORT_TIMEOUTS
                        + "pools { app { backends = [ " + TestProxy.backend("hung", "127.0.0.1:" + full.getLocalPort(), 1)
                        + " ] } }\n"
                        + "routes = [ { name = web, split { app = 100 } } ]");
                        RawClient client = RawClient.connect(proxy.address())) {
                    RawResponse r = client.get("app.test", "/");
                    assertEquals(504, r.status(), r::toString);
                    assertTrue(r.bodyText().contains("did not accept the connection in time"), r.bodyText());
                }
            } finally {
                for (SocketChannel ch : fillers) {
                    ch.close();
                }
            }
        }
    }

    /**
     * Opens connections to {@code target} (backlog 1) without accepting them until the kernel shows
     * its accept queue full (Linux: the listener's rx_queue in /proc/net/tcp, which holds the queue
     * length, exceeds the backlog); a further SYN is then dropped and its connect hangs.
     */
    private static boolean fillAcceptQueue(InetSocketAddress target, List<SocketChannel> fillers) throws IOException {
        // A JVM with IPv6 enabled listens on an IPv6 socket bound to ::ffff:127.0.0.1: listed in tcp6.
        List<Path> tables = Stream.of("/proc/net/tcp", "/proc/net/tcp6").map(Path::of).filter(Files::isReadable).toList();
        if (tables.isEmpty()) {
            return false;
        }
        for (int i = 0; i < 3; i++) {
            SocketChannel ch = SocketChannel.open();
            fillers.add(ch);
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            ch.connect(target);
        }
        Await.until("the accept queue of port " + target.getPort() + " to fill",
                () -> tables.stream().anyMatch(table -> acceptQueueFull(table, target.getPort())));
        return true;
    }

    /** Whether /proc/net/tcp{,6} lists a listener on {@code port} with at least 2 (backlog + 1) queued. */
    private static boolean acceptQueueFull(Path table, int port) {
        String suffix = String.format(":%04X", port);
        try (Stream<String> lines = Files.lines(table)) {
            return lines.map(line -> line.trim().split("\\s+"))
                    .filter(f -> f.length > 4 && f[1].endsWith(suffix) && f[3].equals("0A"))
                    .anyMatch(f -> Integer.parseInt(f[4].substring(f[4].indexOf(':') + 1), 16) >= 2);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A backend with a body limit rejects an upload after its first 256 KiB: it answers 413 and closes with the rest
     * unread, so its kernel resets the connection while the proxy is still sending the body. The answer is already in
     * the proxy's socket by then, and it is what the client gets, not a 502 for the failed send (nginx gives a 502).
     */
    @Test
    void aBackendThatRejectsAnUploadAndResetsIsHeardInsteadOfA502() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            assertEachUploadGetsTheEarlyAnswer(backend, "");
        }
    }

    /** The same over TLS to the backend, where the failed send reaches Turnout through the TLS handler. */
    @Test
    void aBackendOverTlsThatRejectsAnUploadAndResetsIsHeardToo(@TempDir Path dir) throws Exception {
        TestCertificates certificates = TestCertificates.withCa(dir);
        certificates.server("IP:127.0.0.1", "backend");
        SSLContext tls = ((JdkSslContext) SslContextBuilder.forServer(certificates.file("backend.crt").toFile(),
                certificates.file("backend.key").toFile()).sslProvider(SslProvider.JDK).build()).context();
        try (ServerSocket backend = tls.getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getByName("127.0.0.1"))) {
            assertEachUploadGetsTheEarlyAnswer(backend, "tls { ca = \"" + certificates.file("ca.crt") + "\" }, ");
        }
    }

    private static void assertEachUploadGetsTheEarlyAnswer(ServerSocket backend, String poolTls) throws Exception {
        Thread rejecting = new Thread(() -> rejectUploads(backend), "rejecting-backend");
        rejecting.setDaemon(true);
        rejecting.start();
        try (Turnout proxy = TestProxy.start("pools { app { " + poolTls + "backends = [ "
                + TestProxy.backend("b0", "127.0.0.1:" + backend.getLocalPort(), 1) + " ] } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]")) {
            for (int i = 0; i < 5; i++) {
                try (RawClient client = RawClient.connect(proxy.address())) {
                    Thread uploading = new Thread(() -> uploadUntilRefused(client, 64 << 20), "uploading-client");
                    uploading.setDaemon(true);
                    uploading.start();
                    RawResponse r = client.readResponse();
                    assertEquals(413, r.status(), "upload " + i + ": " + r);
                    assertEquals("too big!", r.bodyText());
                    assertTrue(r.closes(), "the rest of the body cannot be read as a next request: " + r);
                }
            }
        }
    }

    /** Answers each connection's request 413 once 256 KiB of its body arrived, then closes with a reset. */
    private static void rejectUploads(ServerSocket server) {
        byte[] buffer = new byte[64 * 1024];
        while (!server.isClosed()) {
            try (Socket connection = server.accept()) {
                InputStream in = connection.getInputStream();
                String head = "";
                long body = 0;
                int n;
                while (body < 256 * 1024 && (n = in.read(buffer)) > 0) {
                    if (head.endsWith("\r\n\r\n")) {
                        body += n;
                    } else {
                        head += new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
                        int end = head.indexOf("\r\n\r\n");
                        if (end >= 0) {
                            body = head.length() - end - 4;
                            head = head.substring(0, end + 4);
                        }
                    }
                }
                connection.getOutputStream().write("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big!"
                        .getBytes(StandardCharsets.ISO_8859_1));
                connection.setSoLinger(true, 0);
            } catch (IOException e) {
                // the server socket closed at the test's end, or a connection went: next one
            }
        }
    }

    /** Sends a request announcing {@code length} bytes of body and as much of it as the proxy takes. */
    private static void uploadUntilRefused(RawClient client, int length) {
        byte[] chunk = new byte[64 * 1024];
        try {
            client.send("POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: " + length + "\r\n\r\n");
            for (int sent = 0; sent < length; sent += chunk.length) {
                client.send(chunk);
            }
        } catch (IOException e) {
            // the proxy stopped taking the body: expected once the backend answered
        }
    }

    @Test
    void resetAfterTheResponseStartedCutsTheClientConnection() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.truncated(100_000, 1000));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /big HTTP/1.1\r\nHost: app.test\r\n\r\n");
            byte[] everything = client.readUntilClosed();
            assertTruncatedSingleResponse(everything, 1000);
        }
    }

    @Test
    void resetInTheMiddleOfAChunkedResponseCutsTheClientConnection() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.truncated(0, 1000).chunked());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /big HTTP/1.1\r\nHost: app.test\r\n\r\n");
            byte[] everything = client.readUntilClosed();
            String text = new String(everything, StandardCharsets.ISO_8859_1);
            assertEquals(1, count(text, "HTTP/1.1 "), text);
            assertTrue(text.startsWith("HTTP/1.1 200 "), text);
            assertFalse(text.endsWith("0\r\n\r\n"), "the client must not see a clean end of the chunked body");
        }
    }

    @Test
    void backendGoingSilentMidBodyCutsTheClientConnection() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.raw(
                "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + "x".repeat(100)));
                Turnout proxy = TestProxy.start(SHORT_TIMEOUTS + TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /slow-body HTTP/1.1\r\nHost: app.test\r\n\r\n");
            String text = new String(client.readUntilClosed(), StandardCharsets.ISO_8859_1);
            assertEquals(1, count(text, "HTTP/1.1 "), text);
            assertTrue(text.startsWith("HTTP/1.1 200 "), text);
            assertTrue(text.endsWith("x".repeat(100)), text);
        }
    }

    private static void assertTruncatedSingleResponse(byte[] everything, int sentBytes) {
        String text = new String(everything, StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 200 "), text);
        assertEquals(1, count(text, "HTTP/1."), "exactly one status line: " + text.substring(0, Math.min(300, text.length())));
        Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(text);
        assertTrue(m.find(), "the response head announced its length");
        int bodyStart = text.indexOf("\r\n\r\n") + 4;
        byte[] body = Arrays.copyOfRange(everything, bodyStart, everything.length);
        assertTrue(body.length < Long.parseLong(m.group(1)), "the body is shorter than announced");
        byte[] expected = new byte[body.length];
        Payload.fill(expected, expected.length, 0);
        assertArrayEquals(expected, body, "what did arrive is the backend's bytes");
        assertTrue(body.length <= sentBytes);
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
