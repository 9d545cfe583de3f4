package dev.turnout.proxy.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Size and time limits on what a client may send, and on how many clients may hold connections.
 * Extends MalformedRequestTest (one 10,000-byte request line: 414; one 20,000-byte header: 431) and
 * ClientProtocolTest (a Content-Length body that stalls: 408; an idle connection closes).
 */
class HardeningLimitsTest {

    /** The default of {@code limits.request-line} (8KiB). */
    private static final int MAX_REQUEST_LINE = 8192;

    // ---- sizes ---------------------------------------------------------------------------------

    @Test
    void requestLineJustUnderTheLimitIsForwardedAndJustOverIs414() throws Exception {
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start(backend.singlePool())) {
            String under = "/" + "u".repeat(MAX_REQUEST_LINE - "GET / HTTP/1.1".length() - 10);
            Wire.Result ok = Wire.exchange(proxy.address(), "GET " + under + " HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertEquals(200, ok.status(), ok::toString);
            String over = "/" + "o".repeat(MAX_REQUEST_LINE);
            Wire.Result refused = Wire.exchange(proxy.address(), "GET " + over + " HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertEquals(414, refused.status(), refused::toString);
            assertTrue(refused.closed(), refused::toString);
            assertTrue(backend.exchanges().stream().noneMatch(e -> e.target().startsWith("/oo")), "the backend saw the 414");
            assertEquals(List.of(), backend.malformed());
        }
    }

    @Test
    void headersOverTheTotalSizeInManyLinesAre431() throws Exception {
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start(backend.singlePool())) {
            Wire.Result r = Wire.exchange(proxy.address(), "GET /many HTTP/1.1\r\nHost: a.test\r\n" + headers(200, 100) + "\r\n");
            assertEquals(431, r.status(), r::toString);
            assertTrue(r.closed(), r::toString);
            assertEquals(0, backend.exchanges().size(), () -> "the backend saw " + backend.exchanges());
        }
    }

    /** 1,000 header lines of 12 bytes: over the default {@code limits.header-count}, yet under the 16 KB size limit. */
    @Test
    void tooManyHeaderLinesAre431() throws Exception {
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start(backend.singlePool())) {
            Wire.Result r = Wire.exchange(proxy.address(), "GET /count HTTP/1.1\r\nHost: a.test\r\n" + headers(1000, 1) + "\r\n");
            assertEquals(431, r.status(), r::toString);
            assertTrue(r.closed(), r::toString);
            assertEquals(0, backend.exchanges().size(), () -> "the backend saw " + backend.exchanges());
        }
    }

    /**
     * A per-route body limit: a declared length over it is refused before anything is forwarded; a
     * chunked body that grows over it is cut, and the backend never sees it end ({@code max-body-size}
     * on a route).
     */
    @Test
    void bodyOverTheRouteLimitIs413() throws Exception {
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start("pools { app { backends = [ { id = b0, address = \"" + backend.address()
                        + "\" } ] } }\nroutes = [ { name = upload, path-prefix = \"/\", split { app = 100 }, "
                        + "max-body-size = 1KiB } ]")) {
            Wire.Result small = Wire.exchange(proxy.address(), "POST /small HTTP/1.1\r\nHost: a.test\r\n"
                    + "Content-Length: 1024\r\n\r\n" + "s".repeat(1024));
            assertEquals(200, small.status(), small::toString);
            Wire.Result declared = Wire.exchange(proxy.address(), "POST /declared HTTP/1.1\r\nHost: a.test\r\n"
                    + "Content-Length: 1025\r\n\r\n" + "d".repeat(1025));
            assertEquals(413, declared.status(), declared::toString);
            assertTrue(declared.closed(), declared::toString);
            String chunk = Integer.toHexString(600) + "\r\n" + "c".repeat(600) + "\r\n";
            Wire.Result chunked = Wire.exchange(proxy.address(), "POST /chunked HTTP/1.1\r\nHost: a.test\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + chunk + chunk + "0\r\n\r\n");
            assertTrue(chunked.status() == 413 || chunked.status() == -1, chunked::toString);
            assertTrue(chunked.closed(), chunked::toString);
            assertTrue(backend.exchanges().stream().noneMatch(e -> e.target().equals("/declared")), "/declared was forwarded");
            assertTrue(backend.exchanges().stream().noneMatch(e -> e.target().equals("/chunked") && e.complete()),
                    "/chunked reached the backend whole");
        }
    }

    // ---- time ----------------------------------------------------------------------------------

    /**
     * Slowloris: one header byte every 200 ms never lets an idle timer fire, so only a deadline for
     * the whole head ({@code timeouts.header-read}, 10 s by default) stops it.
     */
    @Test
    void clientTricklingItsHeadIsCutAtTheHeaderTimeout() throws Exception {
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start("timeouts { header-read = 1s, idle = 60s }\n" + backend.singlePool())) {
            assertTrickleIsCut(proxy.address(), Duration.ofSeconds(1));
            assertEquals(0, backend.exchanges().size(), () -> "the backend saw " + backend.exchanges());
        }
    }

    @Test
    void chunkedBodyThatStallsIs408AndTheBackendNeverSeesItEnd() throws Exception {
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start("timeouts { idle = 300ms }\n" + backend.singlePool());
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /stall HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            RawResponse r = client.readResponse();
            assertEquals(408, r.status(), r::toString);
            assertTrue(client.isClosedByPeer());
            Await.until("the stalled request at the backend", () -> backend.exchanges().size() == 1);
            StrictBackend.Exchange seen = backend.exchanges().get(0);
            Await.until("the backend connection to close", () -> !backend.isOpen(seen.connectionId()));
            assertFalse(seen.complete(), seen::describe);
        }
    }

    // ---- connections ---------------------------------------------------------------------------

    /**
     * A cap on client connections that refuses politely: over it, a new connection gets a 503 and
     * a close (or is closed at once), the ones inside keep working, and a slot frees when one
     * closes ({@code limits.connections}).
     */
    @Test
    void connectionsOverTheCapAreRefusedPolitely() throws Exception {
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start("limits { connections = 4 }\n" + backend.singlePool())) {
            List<RawClient> inside = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    RawClient c = RawClient.connect(proxy.address());
                    inside.add(c);
                    assertEquals(200, c.get("a.test", "/inside-" + i).status());
                }
                Wire.Result over = Wire.exchange(proxy.address(), "GET /over HTTP/1.1\r\nHost: a.test\r\n\r\n");
                LoggerFactory.getLogger("turnout.test.hardening").info("over the connection cap: {}", over);
                assertTrue(over.closed() && (over.status() == 503 || !over.answered()), over::toString);
                assertEquals(200, inside.get(0).get("a.test", "/still-inside").status());
                inside.remove(0).close();
                Await.until("a slot to free", () -> {
                    try {
                        return Wire.exchange(proxy.address(), "GET /freed HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
                                .status() == 200;
                    } catch (IOException e) {
                        return false;
                    }
                });
            } finally {
                for (RawClient c : inside) {
                    c.close();
                }
            }
        }
    }

    @Test
    void twoThousandIdleConnectionsDoNotStopNormalRequests() throws Exception {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        assumeTrue(os instanceof UnixOperatingSystemMXBean u && u.getMaxFileDescriptorCount() >= 10_000,
                "needs ulimit -n of at least 10,000 (each connection is two descriptors in this JVM)");
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start(backend.singlePool())) {
            List<SocketChannel> idle = new ArrayList<>();
            try {
                ByteBuffer partial = ByteBuffer.wrap("GET /partial HTTP/1.1\r\nHo".getBytes(StandardCharsets.ISO_8859_1));
                for (int i = 0; i < 2000; i++) {
                    SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", proxy.address().getPort()));
                    idle.add(ch);
                    if (i % 2 == 1) {
                        ch.write(partial.duplicate());
                    }
                }
                long start = System.nanoTime();
                Wire.Result r = Wire.exchange(proxy.address(),
                        "GET /normal HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertEquals(200, r.status(), r::toString);
                assertTrue(millis < 2000, "a normal request took " + millis + " ms beside 2,000 idle connections");
                int stillOpen = 0;
                for (SocketChannel ch : idle) {
                    stillOpen += ch.isConnected() ? 1 : 0;
                }
                assertEquals(2000, stillOpen);
            } finally {
                for (SocketChannel ch : idle) {
                    ch.close();
                }
            }
            assertEquals(1, backend.exchanges().size(), () -> "the backend saw " + backend.exchanges());
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Trickles a request head one byte every 200 ms; the proxy must answer 408 or close within the timeout and slack. */
    static void assertTrickleIsCut(InetSocketAddress proxy, Duration timeout) throws Exception {
        byte[] head = ("GET /slow HTTP/1.1\r\nHost: a.test\r\nX-Slow: " + "z".repeat(200) + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.getPort()), 2000);
            OutputStream out = socket.getOutputStream();
            AtomicInteger sent = new AtomicInteger();
            ScheduledFuture<?> trickle = pacer.scheduleAtFixedRate(() -> {
                int i = sent.get();
                if (i < head.length) {
                    try {
                        out.write(head[i]);
                        out.flush();
                        sent.incrementAndGet();
                    } catch (IOException stopped) {
                        throw new IllegalStateException("closed", stopped);
                    }
                }
            }, 0, 200, TimeUnit.MILLISECONDS);
            long deadline = timeout.toMillis() + 1500;
            socket.setSoTimeout((int) deadline);
            long start = System.nanoTime();
            InputStream in = socket.getInputStream();
            StringBuilder got = new StringBuilder();
            try {
                for (int b = in.read(); b >= 0; b = in.read()) {
                    got.append((char) b);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("still open " + deadline + " ms after the first byte; " + sent.get()
                        + " bytes trickled so far", e);
            } catch (SocketException expected) {
                // reset: cut as well
            }
            trickle.cancel(false);
            long millis = (System.nanoTime() - start) / 1_000_000;
            String answer = got.toString();
            LoggerFactory.getLogger("turnout.test.hardening").info("trickling client cut after {} ms, {} bytes sent: {}",
                    millis, sent.get(), StrictBackend.escape(answer));
            assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 408 "),
                    "cut with something other than 408: " + answer);
            assertTrue(millis >= timeout.toMillis() - 100, "cut after " + millis + " ms, before the header timeout");
            assertTrue(sent.get() < head.length, "the whole head was sent before the cut");
        } finally {
            pacer.shutdownNow();
        }
    }

    private static String headers(int count, int valueLength) {
        StringBuilder h = new StringBuilder();
        for (int i = 0; i < count; i++) {
            h.append("X-").append(i).append(": ").append("v".repeat(valueLength)).append("\r\n");
        }
        return h.toString();
    }
}
