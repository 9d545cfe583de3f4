package dev.turnout.proxy.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawHttp2Client;
import dev.turnout.proxy.testing.RawHttp2Client.Frame;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 streams that never end on their own: a client that never opens its window, a request
 * body that never comes, a header block that never ends; and a shutdown with streams open.
 */
class Http2StreamLimitsTest {

    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

    /** The frames of one stream until it ends (END_STREAM or RST_STREAM), or null if the connection ends first. */
    private static Frame endOf(RawHttp2Client client, int streamId) throws Exception {
        for (Frame frame; (frame = client.read()) != null; ) {
            if (frame.streamId() == streamId && (frame.type() == RawHttp2Client.RST_STREAM
                    || (frame.type() != RawHttp2Client.WINDOW_UPDATE && (frame.flags() & RawHttp2Client.END_STREAM) != 0))) {
                return frame;
            }
        }
        return null;
    }

    @Test
    void aClientThatNeverOpensItsWindowHasTheStreamResetAfterTheIdleTimeout() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.payload(1 << 20));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + "\ntimeouts.idle = 1s");
                RawHttp2Client stalled = RawHttp2Client.connect(proxy.address(), SETTINGS_INITIAL_WINDOW_SIZE, 0)) {
            stalled.headers(1, true, "GET", "/big");
            // PINGs keep the connection busy, as an attacker would, so that only the stream can time out.
            ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor();
            AtomicLong pings = new AtomicLong();
            pinger.scheduleAtFixedRate(() -> {
                try {
                    stalled.ping(pings.incrementAndGet());
                } catch (IOException e) {
                    // the connection went away: the assertions below say whether it should have
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            Frame end;
            try {
                end = endOf(stalled, 1);
            } finally {
                pinger.shutdownNow();
                pinger.awaitTermination(10, TimeUnit.SECONDS);
            }
            assertNotNull(end, "the stream ends, the connection stays");
            assertEquals(RawHttp2Client.RST_STREAM, end.type(), "reset, not finished: no body byte could be sent");
            try (RawClient polite = RawClient.connect(proxy.address())) {
                assertEquals(200, polite.get("a.test", "/").status());
            }
        }
    }

    @Test
    void aRequestBodyThatNeverComesEndsTheStreamAfterTheBodyReadTimeout() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("took it"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + "\ntimeouts.body-read = 1s");
                RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
            client.headers(1, false, "POST", "/upload", "content-length", "10");
            Frame end = endOf(client, 1);
            assertNotNull(end, "the stream ends, the connection stays");
            if (end.type() == RawHttp2Client.HEADERS) {
                assertEquals("408", client.decode(end).status().toString());
            }
            client.headers(3, true, "GET", "/next");
            assertNotNull(endOf(client, 3), "the connection still serves");
        }
    }

    @Test
    void aHeaderBlockThatNeverEndsClosesTheConnectionAfterTheHeaderReadTimeout() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + "\ntimeouts.header-read = 1s");
                RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
            client.frame(RawHttp2Client.HEADERS, 0, 1, client.headerBlock("GET", "/never-ends"));
            assertTrue(client.readUntilClosed(), "closed within the socket's 10 s read timeout");
            assertEquals(0, backend.requestCount());
        }
    }

    @Test
    void shutdownSaysGoAwayAndLetsTheOpenStreamFinish() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("finished").delayed(Duration.ofMillis(500)));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend))) {
            try (RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
                client.headers(1, true, "GET", "/slow");
                Await.until("the request at the backend", () -> backend.requestCount() == 1);
                CompletableFuture<Boolean> clean = CompletableFuture.supplyAsync(() -> {
                    try {
                        return proxy.shutdown(Duration.ofSeconds(60));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Frame goAway = client.readUntil(RawHttp2Client.GOAWAY);
                assertNotNull(goAway, "GOAWAY first");
                assertEquals(RawHttp2Client.NO_ERROR, goAway.errorCode());
                Frame end = endOf(client, 1);
                assertNotNull(end, "the open stream finished");
                assertEquals(RawHttp2Client.DATA, end.type());
                assertEquals("finished", new String(end.payload(), java.nio.charset.StandardCharsets.UTF_8));
                assertTrue(client.readUntilClosed(), "then the connection closed");
                // Clean: every connection closed by itself, not at the end of the 60 s grace.
                assertTrue(clean.get(90, TimeUnit.SECONDS), "shutdown finished within its grace");
            }
        }
    }
}
