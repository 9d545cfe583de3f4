package dev.turnout.proxy.h2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawHttp2Client;
import dev.turnout.proxy.testing.RawHttp2Client.Frame;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 streams on the connection's own pipeline, each on its own: its flow control, its backend
 * request, its compression.
 */
class Http2StreamsTest {

    private static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(100);

    private static Reply byPath(RecordedRequest request) {
        return switch (request.uri()) {
            case "/big" -> Reply.payload(1 << 20);
            case "/slow" -> Reply.stall();
            case "/text" -> Reply.ok(TEXT).header("Content-Type", "text/plain");
            case "/upload" -> Reply.answer(r -> "got " + r.bodyLength() + " chunked=" + r.header("transfer-encoding"));
            default -> Reply.ok("small");
        };
    }

    /** Opens the connection's window wide, so that only stream windows hold anything back. */
    private static void openConnectionWindow(RawHttp2Client client) throws Exception {
        byte[] increment = new byte[4];
        int more = (1 << 30);
        increment[0] = (byte) (more >> 24);
        client.frame(RawHttp2Client.WINDOW_UPDATE, 0, 0, increment);
    }

    @Test
    void aClientThatStopsReadingOneStreamHoldsBackOnlyThatStream() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Http2StreamsTest::byPath);
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend));
                RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
            openConnectionWindow(client);
            client.headers(1, true, "GET", "/big"); // its window is never opened beyond the first 64 KiB
            client.headers(3, true, "GET", "/small");
            long bigBytes = 0;
            Frame frame;
            boolean smallEnded = false;
            while (!smallEnded && (frame = client.read()) != null) {
                if (frame.streamId() == 1 && frame.type() == RawHttp2Client.DATA) {
                    bigBytes += frame.payload().length;
                    assertEquals(0, frame.flags() & RawHttp2Client.END_STREAM, "the big answer cannot end");
                }
                smallEnded = frame.streamId() == 3 && (frame.flags() & RawHttp2Client.END_STREAM) != 0;
            }
            assertTrue(smallEnded, "the other stream is answered");
            assertTrue(bigBytes <= 65_535, "no more than the stalled stream's window: " + bigBytes);
        }
    }

    @Test
    void aRequestBodyLargerThanEveryWindowReachesTheBackendWhole() throws Exception {
        int length = 3 << 20;
        try (FakeBackend backend = FakeBackend.start(Http2StreamsTest::byPath);
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend));
                RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
            client.headers(1, false, "POST", "/upload");
            long streamWindow = 65_535;
            long connectionWindow = 65_535;
            int sent = 0;
            byte[] chunk = new byte[16_384];
            while (sent < length) {
                int size = (int) Math.min(chunk.length, Math.min(length - sent, Math.min(streamWindow, connectionWindow)));
                if (size == 0) {
                    Frame update = client.readUntil(RawHttp2Client.WINDOW_UPDATE);
                    assertNotNull(update, "the proxy opens the windows as the backend takes the body");
                    long increment = update.errorCode(); // the same four bytes
                    if (update.streamId() == 0) {
                        connectionWindow += increment;
                    } else {
                        streamWindow += increment;
                    }
                    continue;
                }
                sent += size;
                streamWindow -= size;
                connectionWindow -= size;
                byte[] payload = size == chunk.length ? chunk : new byte[size];
                client.frame(RawHttp2Client.DATA, sent == length ? RawHttp2Client.END_STREAM : 0, 1, payload);
            }
            Frame data = client.readUntil(RawHttp2Client.DATA);
            assertNotNull(data);
            assertEquals("got " + length + " chunked=chunked", new String(data.payload(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aClientResetCancelsTheBackendRequestAndTheConnectionGoesOn() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Http2StreamsTest::byPath);
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend));
                RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
            client.headers(1, true, "GET", "/slow");
            RecordedRequest slow = backend.awaitRequest(0);
            client.rst(1, RawHttp2Client.CANCEL);
            Await.until("the backend request is cancelled", () -> backend.isClosed(slow.connectionId()));
            client.headers(3, true, "GET", "/small");
            Frame answer = client.readUntil(RawHttp2Client.HEADERS);
            assertNotNull(answer);
            assertEquals(3, answer.streamId());
            assertEquals("200", client.decode(answer).status().toString());
        }
    }

    @Test
    void eachStreamIsCompressedForItsOwnClient() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Http2StreamsTest::byPath);
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend));
                RawHttp2Client client = RawHttp2Client.connect(proxy.address())) {
            client.headers(1, true, "GET", "/text", "accept-encoding", "gzip");
            client.headers(3, true, "GET", "/text");
            Http2Headers[] heads = new Http2Headers[4];
            ByteArrayOutputStream[] bodies = {null, new ByteArrayOutputStream(), null, new ByteArrayOutputStream()};
            int ended = 0;
            for (Frame frame; ended < 2 && (frame = client.read()) != null; ) {
                if (frame.type() == RawHttp2Client.HEADERS) {
                    heads[frame.streamId()] = client.decode(frame);
                }
                if (frame.type() == RawHttp2Client.DATA) {
                    bodies[frame.streamId()].write(frame.payload());
                }
                if ((frame.type() == RawHttp2Client.DATA || frame.type() == RawHttp2Client.HEADERS)
                        && (frame.flags() & RawHttp2Client.END_STREAM) != 0) {
                    ended++;
                }
            }
            assertEquals("gzip", String.valueOf(heads[1].get("content-encoding")));
            assertEquals("accept-encoding", String.valueOf(heads[1].get("vary")).toLowerCase());
            try (GZIPInputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(bodies[1].toByteArray()))) {
                assertArrayEquals(TEXT.getBytes(StandardCharsets.UTF_8), gunzip.readAllBytes());
            }
            assertNull(heads[3].get("content-encoding"));
            assertEquals("accept-encoding", String.valueOf(heads[3].get("vary")).toLowerCase());
            assertEquals(TEXT, bodies[3].toString(StandardCharsets.UTF_8));
            assertFalse(heads[3].contains("transfer-encoding"), "no connection-specific field in HTTP/2");
        }
    }
}
