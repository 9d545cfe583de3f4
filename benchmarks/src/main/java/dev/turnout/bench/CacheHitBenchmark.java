package dev.turnout.bench;

import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.config.CacheConfig;
import dev.turnout.proxy.http.HeadSyntax;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A cache hit as the data plane serves it, from the decoded request head to the answer's bytes:
 * the lookup ({@link ResponseCache#lookup}), the answer made from the stored one, and its encoding
 * by Netty's HTTP/1.1 encoder. The stored answer is a static asset with eight fields and a 1 KiB
 * body, stored through the cache's own protocol from a head decoded as the backend side decodes
 * it; the request is a browser's GET for it. {@code lookup} stops before encoding.
 * With {@code -prof gc}, {@code gc.alloc.rate.norm} is the bytes allocated per hit.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar CacheHit -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CacheHitBenchmark {

    private static final String REQUEST = "GET /static/app.3f9c2a.css HTTP/1.1\r\n"
            + "Host: shop.example.com\r\n"
            + "Connection: keep-alive\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            + "Safari/537.36\r\n"
            + "Accept: text/css,*/*;q=0.1\r\n"
            + "Sec-Fetch-Dest: style\r\n"
            + "Referer: https://shop.example.com/\r\n"
            + "Accept-Language: en-GB,en;q=0.9,de;q=0.8\r\n"
            + "\r\n";
    private static final String STORED = "HTTP/1.1 200 OK\r\n"
            + "Server: nginx/1.22.1\r\n"
            + "Date: Sun, 06 Dec 2026 23:50:52 GMT\r\n"
            + "Content-Type: text/css\r\n"
            + "Content-Length: 1024\r\n"
            + "Last-Modified: Fri, 04 Dec 2026 10:12:00 GMT\r\n"
            + "ETag: \"6931b2f0-400\"\r\n"
            + "Cache-Control: public, max-age=31536000, immutable\r\n"
            + "Accept-Ranges: bytes\r\n"
            + "\r\n";

    private ResponseCache cache;
    private HttpRequest request;
    private EmbeddedChannel clientSide;

    @Setup(Level.Trial)
    public void setUp() {
        cache = new ResponseCache(new CacheConfig(true, 64L << 20, 8L << 20, true, Duration.ofDays(1)), System::nanoTime);
        EmbeddedChannel requestSide = new EmbeddedChannel(new HttpRequestDecoder(new HttpDecoderConfig()
                .setHeadersFactory(HeadSyntax.CHECKED_HEAD_HEADERS)));
        requestSide.writeInbound(Unpooled.copiedBuffer(REQUEST, StandardCharsets.US_ASCII));
        request = requestSide.readInbound();
        requestSide.finishAndReleaseAll();

        EmbeddedChannel backendSide = new EmbeddedChannel(new HttpResponseDecoder(new HttpDecoderConfig()
                .setHeadersFactory(HeadSyntax.CHECKED_HEAD_HEADERS)));
        backendSide.writeInbound(Unpooled.copiedBuffer(STORED, StandardCharsets.US_ASCII),
                Unpooled.wrappedBuffer(new byte[1024]));
        HttpResponse head = backendSide.readInbound();
        ResponseCache.Fill fill = cache.lookup("app", "shop.example.com", request, false).fill(head);
        for (Object part; (part = backendSide.readInbound()) != null; ) {
            fill.append(((HttpContent) part).content());
            ReferenceCountUtil.release(part);
        }
        fill.store();
        backendSide.finishAndReleaseAll();
        clientSide = new EmbeddedChannel(new HttpResponseEncoder());
        FullHttpResponse first = hit();
        int status = first.status().code();
        first.release();
        if (status != 200) {
            throw new IllegalStateException("the stored answer came back as " + status);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        clientSide.finishAndReleaseAll();
    }

    /** The lookup and the answer it makes, released unencoded. */
    @Benchmark
    public int lookup() {
        FullHttpResponse answer = hit();
        int fields = answer.headers().size();
        answer.release();
        return fields;
    }

    /** The lookup, its answer, and that answer encoded into bytes for the client. */
    @Benchmark
    public int lookupAndEncode() {
        clientSide.writeOutbound(hit());
        int bytes = 0;
        for (Object out; (out = clientSide.readOutbound()) != null; ) {
            bytes += ((ByteBuf) out).readableBytes();
            ReferenceCountUtil.release(out);
        }
        return bytes;
    }

    private FullHttpResponse hit() {
        ResponseCache.Lookup lookup = cache.lookup("app", "shop.example.com", request, false);
        FullHttpResponse answer = lookup.hit();
        if (answer == null) {
            throw new IllegalStateException("not a hit");
        }
        return answer;
    }
}
