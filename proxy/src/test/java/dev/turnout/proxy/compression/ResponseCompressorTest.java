package dev.turnout.proxy.compression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aayushatharva.brotli4j.decoder.Decoder;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.aayushatharva.brotli4j.decoder.DirectDecompress;
import com.github.luben.zstd.Zstd;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.CompressionConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResponseCompressorTest {

    private static final CompressionConfig CONFIG = ConfigLoader.parse("").compression();
    private static final byte[] TEXT = "<p>turnout streams and compresses answers on their way</p>\n".repeat(200)
            .getBytes(StandardCharsets.UTF_8);

    private EmbeddedChannel channel;

    @AfterEach
    void finish() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
            gzip, br                   | br
            gzip                       | gzip
            ' GZip '                   | gzip
            gzip, deflate              | gzip
            zstd;q=1, br;q=0.5         | zstd
            br;q=0, gzip               | gzip
            br;q=0, *;q=0.1            | gzip
            zstd, gzip                 | gzip
            zstd                       | zstd
            *                          | br
            identity                   | none
            gzip;q=0                   | none
            deflate                    | none
            GZIP;Q=0.8, br;q=0.7       | gzip
            br;q=bad, gzip;q=0.1       | gzip
            ''                         | none
            """)
    void negotiatesByQValueThenByMeasuredRatio(String acceptEncoding, String expected) {
        assertEquals(expected, ResponseCompressor.negotiate(acceptEncoding, List.of("br", "gzip", "zstd")));
    }

    @Test
    void compressesOnlyCompressibleTypes() {
        ResponseCompressor compressor = ResponseCompressor.factory(CONFIG).get();

        assertTrue(compressor.compressibleType("text/html; charset=utf-8"));
        assertTrue(compressor.compressibleType("Application/JSON"));
        assertTrue(compressor.compressibleType("application/vnd.api+json"));
        assertTrue(compressor.compressibleType("image/svg+xml"));
        assertFalse(compressor.compressibleType("image/png"));
        assertFalse(compressor.compressibleType("application/octet-stream"));
        assertFalse(compressor.compressibleType(null));
    }

    @Test
    void roundTripsEachEncodingStreamedInPieces() throws IOException {
        for (String encoding : List.of("br", "zstd", "gzip")) {
            Answer answer = exchange("GET", encoding, 200, "text/html", TEXT.length, null);

            assertEquals(encoding, answer.head.headers().get(HttpHeaderNames.CONTENT_ENCODING));
            assertEquals("accept-encoding", answer.head.headers().get(HttpHeaderNames.VARY).toLowerCase());
            assertTrue(answer.body.length < TEXT.length / 4, encoding + " compresses: " + answer.body.length);
            assertArrayEquals(TEXT, decode(encoding, answer.body), encoding + " round trip");
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void leavesSmallBinaryEncodedRangedAndBodylessAnswersAlone() throws IOException {
        Answer small = exchange("GET", "gzip, br", 200, "text/plain", 100, null);
        assertNull(small.head.headers().get(HttpHeaderNames.CONTENT_ENCODING), "below min-length");
        assertNull(small.head.headers().get(HttpHeaderNames.VARY),
                "no client gets it compressed, so its form does not depend on Accept-Encoding");
        channel.finishAndReleaseAll();

        Answer binary = exchange("GET", "gzip, br", 200, "image/png", TEXT.length, null);
        assertNull(binary.head.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        assertNull(binary.head.headers().get(HttpHeaderNames.VARY));
        channel.finishAndReleaseAll();

        Answer encoded = exchange("GET", "gzip, br", 200, "text/html", TEXT.length, "gzip");
        assertEquals("gzip", encoded.head.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        assertArrayEquals(TEXT, encoded.body, "already encoded: passed through untouched");
        channel.finishAndReleaseAll();

        Answer range = exchange("GET", "gzip, br", 206, "text/html", TEXT.length, null);
        assertNull(range.head.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        channel.finishAndReleaseAll();

        Answer notModified = exchange("GET", "gzip, br", 304, "text/html", -1, null);
        assertNull(notModified.head.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        channel.finishAndReleaseAll();

        Answer head = exchange("HEAD", "gzip, br", 200, "text/html", TEXT.length, null);
        assertNull(head.head.headers().get(HttpHeaderNames.CONTENT_ENCODING));
    }

    @Test
    void grpcAnswersAreNeverCompressedWhateverTheTypesSay() throws IOException {
        CompressionConfig everything = ConfigLoader.parse("turnout.compression.types = [\"application/*\"]").compression();
        ResponseCompressor compressor = ResponseCompressor.factory(everything).get();
        assertTrue(compressor.compressibleType("application/json"));
        assertFalse(compressor.compressibleType("application/grpc"), "gRPC frames its own messages and compresses them itself");
        assertFalse(compressor.compressibleType("application/grpc+proto"));
        assertFalse(compressor.compressibleType("Application/GRPC-Web"));
    }

    @Test
    void http10ClientsGetIdentity() throws IOException {
        channel = new EmbeddedChannel(ResponseCompressor.factory(CONFIG).get());
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/");
        request.headers().set(HttpHeaderNames.ACCEPT_ENCODING, "gzip");
        channel.writeInbound(request);
        channel.readInbound();

        Answer answer = respond(200, "text/html", TEXT.length, null, TEXT.length > 0);

        assertNull(answer.head.headers().get(HttpHeaderNames.CONTENT_ENCODING), "no chunked encoding in HTTP/1.0");
        assertArrayEquals(TEXT, answer.body);
    }

    private record Answer(HttpResponse head, byte[] body) {
    }

    private Answer exchange(String method, String acceptEncoding, int status, String type, int length, String encoding)
            throws IOException {
        channel = new EmbeddedChannel(ResponseCompressor.factory(CONFIG).get());
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), "/");
        request.headers().set(HttpHeaderNames.ACCEPT_ENCODING, acceptEncoding);
        channel.writeInbound(request);
        channel.readInbound();
        boolean body = status != 304 && !method.equals("HEAD");
        return respond(status, type, length, encoding, body);
    }

    /** Writes the answer in three pieces, as a backend's stream arrives, and reads what leaves. */
    private Answer respond(int status, String type, int length, String encoding, boolean body) throws IOException {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        if (length >= 0) {
            head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, length);
        }
        if (encoding != null) {
            head.headers().set(HttpHeaderNames.CONTENT_ENCODING, encoding);
        }
        channel.writeOutbound(head);
        if (body) {
            byte[] bytes = length == TEXT.length ? TEXT : new byte[length];
            int third = bytes.length / 3;
            channel.writeOutbound(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, 0, third)));
            channel.writeOutbound(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, third, third)));
            channel.writeOutbound(new DefaultLastHttpContent(Unpooled.wrappedBuffer(bytes, 2 * third, bytes.length - 2 * third)));
        } else {
            channel.writeOutbound(new DefaultLastHttpContent());
        }
        HttpResponse written = null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            if (msg instanceof HttpResponse r) {
                written = r;
            }
            if (msg instanceof HttpContent c) {
                ByteBuf content = c.content();
                byte[] chunk = new byte[content.readableBytes()];
                content.readBytes(chunk);
                out.write(chunk);
                c.release();
            }
        }
        return new Answer(written, out.toByteArray());
    }

    private static byte[] decode(String encoding, byte[] body) throws IOException {
        switch (encoding) {
            case "gzip" -> {
                try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                    return in.readAllBytes();
                }
            }
            case "zstd" -> {
                return Zstd.decompress(body, TEXT.length);
            }
            case "br" -> {
                DirectDecompress result = Decoder.decompress(body);
                assertEquals(DecoderJNI.Status.DONE, result.getResultStatus());
                return result.getDecompressedData();
            }
            default -> throw new IllegalArgumentException(encoding);
        }
    }
}
