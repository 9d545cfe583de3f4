package dev.turnout.proxy.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawHttp2Client;
import dev.turnout.proxy.testing.RawHttp2Client.Frame;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 attacks that hit every proxy in 2023-2024, sent as raw frames over h2c: each ends
 * with GOAWAY and the connection closed, is counted in {@code turnout_http2_abuse_total}, and a
 * well-behaved client is answered all along.
 */
class Http2AbuseTest {

    private FakeBackend backend;
    private Turnout proxy;
    private final AtomicBoolean attacking = new AtomicBoolean(true);
    private CompletableFuture<Integer> bystander;

    @BeforeEach
    void start() throws Exception {
        backend = FakeBackend.start(Reply.ok("fine"));
        proxy = TestProxy.start(TestProxy.singlePool(backend));
        bystander = CompletableFuture.supplyAsync(this::politeRequestsWhileAttacked);
    }

    @AfterEach
    void stop() throws Exception {
        attacking.set(false);
        proxy.close();
        backend.close();
    }

    /** HTTP/1.1 requests one after another on a keep-alive connection until the attack is over; how many got 200. */
    private int politeRequestsWhileAttacked() {
        int answered = 0;
        try (RawClient client = RawClient.connect(proxy.address())) {
            do {
                int status = client.get("a.test", "/polite").status();
                if (status != 200) {
                    throw new IllegalStateException("the well-behaved client got " + status);
                }
                answered++;
            } while (attacking.get());
        } catch (IOException e) {
            throw new IllegalStateException("the well-behaved client was not answered", e);
        }
        return answered;
    }

    /** The attack is over: the bystander was answered throughout, and the kind was counted. */
    private void assertContainedAndCounted(String kind) throws Exception {
        attacking.set(false);
        assertTrue(bystander.get(30, TimeUnit.SECONDS) > 0);
        Await.until("turnout_http2_abuse_total{kind=\"" + kind + "\"} 1", () -> AdminCalls.send(proxy, "GET", "/metrics", null)
                .body().contains("turnout_http2_abuse_total{kind=\"" + kind + "\"} 1.0"));
    }

    private static Frame goAwayAndClose(RawHttp2Client client) throws IOException {
        Frame goAway = client.readUntil(RawHttp2Client.GOAWAY);
        assertNotNull(goAway, "GOAWAY before the close");
        assertTrue(client.readUntilClosed(), "the connection is closed after GOAWAY");
        return goAway;
    }

    /** Writes frames until the server stops taking them; a closed connection ends the flood. */
    private interface Flood {
        void send(int i) throws IOException;
    }

    private static void flood(int frames, Flood flood) {
        try {
            for (int i = 0; i < frames; i++) {
                flood.send(i);
            }
        } catch (IOException closedUnderUs) {
            // the server hung up mid-flood, as it should
        }
    }

    @Test
    void rapidResetGetsGoAwayEnhanceYourCalm() throws Exception {
        try (RawHttp2Client attacker = RawHttp2Client.connect(proxy.address())) {
            byte[] block = attacker.headerBlock("GET", "/reset");
            flood(5000, i -> attacker.frame(RawHttp2Client.HEADERS, RawHttp2Client.END_HEADERS | RawHttp2Client.END_STREAM,
                    2 * i + 1, block).rst(2 * i + 1, RawHttp2Client.CANCEL));
            assertEquals(RawHttp2Client.ENHANCE_YOUR_CALM, goAwayAndClose(attacker).errorCode());
        }
        assertContainedAndCounted("rapid-reset");
    }

    @Test
    void aContinuationFloodGetsGoAway() throws Exception {
        try (RawHttp2Client attacker = RawHttp2Client.connect(proxy.address())) {
            byte[] block = attacker.headerBlock("GET", "/continued");
            attacker.frame(RawHttp2Client.HEADERS, 0, 1, block);
            flood(100_000, i -> attacker.frame(RawHttp2Client.CONTINUATION, 0, 1, new byte[] {0x40}));
            goAwayAndClose(attacker);
        }
        assertContainedAndCounted("continuation-flood");
    }

    @Test
    void aPingFloodGetsGoAwayEvenWhenTheAcksAreRead() throws Exception {
        try (RawHttp2Client attacker = RawHttp2Client.connect(proxy.address())) {
            CompletableFuture<Frame> goAway = CompletableFuture.supplyAsync(() -> {
                try {
                    return attacker.readUntil(RawHttp2Client.GOAWAY);
                } catch (IOException e) {
                    return null;
                }
            });
            flood(5000, i -> attacker.ping(i));
            Frame frame = goAway.get(30, TimeUnit.SECONDS);
            assertNotNull(frame, "GOAWAY");
            assertEquals(RawHttp2Client.ENHANCE_YOUR_CALM, frame.errorCode());
            assertTrue(attacker.readUntilClosed());
        }
        assertContainedAndCounted("ping-flood");
    }

    @Test
    void aSettingsFloodGetsGoAway() throws Exception {
        try (RawHttp2Client attacker = RawHttp2Client.connect(proxy.address())) {
            CompletableFuture<Frame> goAway = CompletableFuture.supplyAsync(() -> {
                try {
                    return attacker.readUntil(RawHttp2Client.GOAWAY);
                } catch (IOException e) {
                    return null;
                }
            });
            flood(5000, i -> attacker.frame(RawHttp2Client.SETTINGS, 0, 0, new byte[0]));
            assertNotNull(goAway.get(30, TimeUnit.SECONDS), "GOAWAY");
            assertTrue(attacker.readUntilClosed());
        }
        assertContainedAndCounted("settings-flood");
    }

    @Test
    void aClientThatNeverReadsItsPingAcksIsClosed() throws Exception {
        try (RawHttp2Client attacker = RawHttp2Client.connect(proxy.address())) {
            attacker.socket().setReceiveBufferSize(4096);
            // Large PINGs are not possible; many small ones fill the server's queue of control frames.
            flood(200_000, i -> attacker.ping(i));
            assertTrue(attacker.readUntilClosed(), "closed");
        }
        attacking.set(false);
        assertTrue(bystander.get(30, TimeUnit.SECONDS) > 0);
    }

    @Test
    void emptyDataFramesInARowGetGoAway() throws Exception {
        try (RawHttp2Client attacker = RawHttp2Client.connect(proxy.address())) {
            attacker.headers(1, false, "POST", "/upload");
            flood(1000, i -> attacker.frame(RawHttp2Client.DATA, 0, 1, new byte[0]));
            goAwayAndClose(attacker);
        }
        assertContainedAndCounted("empty-data-flood");
    }

    @Test
    void streamsBeyondTheLimitAreRefusedAndTheConnectionGoesOn() throws Exception {
        try (RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
            // Bodies never sent: each stream stays open. The limit is 128 (turnout.limits.http2.max-concurrent-streams).
            for (int i = 0; i < 129; i++) {
                client.headers(2 * i + 1, false, "POST", "/open");
            }
            Frame refused = client.readUntil(RawHttp2Client.RST_STREAM);
            assertNotNull(refused);
            assertEquals(2 * 128 + 1, refused.streamId(), "the 129th stream");
            assertEquals(RawHttp2Client.REFUSED_STREAM, refused.errorCode());
            client.ping(42);
            Frame ack = client.readUntil(RawHttp2Client.PING);
            assertNotNull(ack, "the connection still answers");
            assertEquals(RawHttp2Client.ACK, ack.flags() & RawHttp2Client.ACK);
        }
    }

    @Test
    void aHeadPastTheLimitIsRefusedAndTheConnectionGoesOn() throws Exception {
        try (RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
            client.headers(1, true, "GET", "/big", "x-big", "a".repeat(17 * 1024));
            client.headers(3, true, "GET", "/small");
            AtomicInteger big = new AtomicInteger();
            AtomicInteger small = new AtomicInteger();
            while (big.get() == 0 || small.get() == 0) {
                Frame frame = client.read();
                assertNotNull(frame, "the connection stayed open");
                if (frame.type() == RawHttp2Client.HEADERS) {
                    int status = Integer.parseInt(client.decode(frame).status().toString());
                    (frame.streamId() == 1 ? big : small).set(status);
                } else if (frame.type() == RawHttp2Client.RST_STREAM && frame.streamId() == 1) {
                    big.set(-1);
                }
            }
            // RFC 9113 10.5.1: a 431, or a stream error; Netty's codec resets the stream.
            assertTrue(big.get() == 431 || big.get() == -1, "the oversized head: " + big.get());
            assertEquals(200, small.get(), "the next stream on the same connection");
        }
    }
}
