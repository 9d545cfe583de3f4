package dev.turnout.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Payload;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** Large bodies pass through intact and are streamed, never buffered whole. */
class ProxyStreamingTest {

    private static final long UPLOAD = 20L * 1024 * 1024;
    private static final long DOWNLOAD = 50L * 1024 * 1024;
    private static final int CHUNK = 256 * 1024;

    @Test
    void chunkedUploadOf20MegabytesArrivesIntactAndStreamed() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> r.bodyLength() + " " + r.bodyCrc()));
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = new byte[CHUNK];
            long sent = 0;
            sent = sendChunk(client, chunk, sent);
            // Streaming: the backend holds the first chunk while most of the body is still unsent.
            RecordedRequest r = backend.awaitRequest(0);
            Await.until("the first chunk to reach the backend", () -> r.bodyLength() == CHUNK);
            assertFalse(r.complete());
            while (sent < UPLOAD) {
                sent = sendChunk(client, chunk, sent);
            }
            client.send("0\r\n\r\n");
            RawResponse response = client.readResponse();
            assertEquals(200, response.status(), response::toString);
            assertEquals(UPLOAD + " " + Payload.crc32(UPLOAD), response.bodyText());
            assertTrue(r.complete());
        }
    }

    private static long sendChunk(RawClient client, byte[] chunk, long offset) throws Exception {
        Payload.fill(chunk, chunk.length, offset);
        client.send((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        client.send(chunk);
        client.send("\r\n");
        return offset + chunk.length;
    }

    @Test
    void download50MegabytesArrivesIntact() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.payload(DOWNLOAD));
                Turnout proxy = TestProxy.start(backend)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/big")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            assertEquals(String.valueOf(DOWNLOAD), response.headers().firstValue("content-length").orElse(null));
            CRC32 crc = new CRC32();
            long length = 0;
            try (InputStream in = response.body()) {
                byte[] buf = new byte[64 * 1024];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    crc.update(buf, 0, n);
                    length += n;
                }
            }
            assertEquals(DOWNLOAD, length);
            assertEquals(Payload.crc32(DOWNLOAD), crc.getValue());
        }
    }

    @Test
    void chunkedDownloadArrivesIntactAndTheConnectionStaysUsable() throws Exception {
        long size = 8L * 1024 * 1024;
        try (FakeBackend backend = FakeBackend.start(Reply.payload(size).chunked());
                Turnout proxy = TestProxy.start(backend);
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /big HTTP/1.1\r\nHost: a.test\r\n\r\n");
            RawResponse r = client.readResponse(false, false);
            assertEquals("chunked", r.header("Transfer-Encoding"));
            assertEquals(size, r.bodyLength());
            assertEquals(Payload.crc32(size), r.bodyCrc());
            assertFalse(r.truncated());
            client.send("GET /again HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertEquals(size, client.readResponse(false, false).bodyLength());
            assertEquals(1, backend.connectionCount());
        }
    }
}
