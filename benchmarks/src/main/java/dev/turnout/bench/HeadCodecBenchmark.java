package dev.turnout.bench;

import dev.turnout.proxy.exchange.ForwardedHeaders;
import dev.turnout.proxy.http.HeadSyntax;
import dev.turnout.proxy.listener.Http1RequestDecoder;
import dev.turnout.proxy.listener.Http1ResponseEncoder;
import dev.turnout.proxy.upstream.Http1RequestEncoder;
import dev.turnout.proxy.upstream.Http1ResponseDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
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
 * One request head and one response head through the proxy's head path, bytes in to bytes out:
 * the strict syntax check ({@link HeadSyntax}), decoding, the proxy's edits (request id,
 * {@code X-Forwarded-*}, hop-by-hop removal, the answer's framing and version) and encoding into a
 * pooled buffer, as the client and backend connections do once per request each. The heads are
 * a page load from a current browser behind one forwarding proxy, and a typical dynamic answer
 * (whose 1 KiB body passes through, so that the decoder is ready for the next head).
 * With {@code -prof gc}, {@code gc.alloc.rate.norm} is the bytes allocated per head.
 *
 * <p>{@code requestHead} and {@code responseHead} run Turnout's own codec (the handlers the
 * connections use: {@link Http1RequestDecoder}, {@link Http1RequestEncoder}, {@link Http1ResponseDecoder},
 * {@link Http1ResponseEncoder}); {@code nettyRequestHead} and {@code nettyResponseHead} run Netty's HTTP
 * codec with the same check and edits, as the proxy did before, for the comparison. {@code requestSyntax}
 * and {@code responseSyntax} time the strict syntax check alone, over the same heads in a heap buffer.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar HeadCodec -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HeadCodecBenchmark {

    static final byte[] REQUEST = ("GET /products/4711?ref=home&utm_source=news HTTP/1.1\r\n"
            + "Host: shop.example.com\r\n"
            + "Connection: keep-alive\r\n"
            + "Cache-Control: max-age=0\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            + "Safari/537.36\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
            + "Sec-Fetch-Mode: navigate\r\n"
            + "Referer: https://shop.example.com/\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Accept-Language: en-GB,en;q=0.9,de;q=0.8\r\n"
            + "Cookie: session=6f1c2a9e0b7d4e58a3c1f2d9e8b7a6c5; cart=3; _ga=GA1.2.1234567890.1700000000; theme=dark\r\n"
            + "X-Forwarded-For: 203.0.113.7\r\n"
            + "\r\n").getBytes(StandardCharsets.US_ASCII);
    static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\n"
            + "Server: nginx/1.22.1\r\n"
            + "Date: Sun, 06 Dec 2026 23:50:52 GMT\r\n"
            + "Content-Type: text/html; charset=utf-8\r\n"
            + "Content-Length: 1024\r\n"
            + "Connection: keep-alive\r\n"
            + "Keep-Alive: timeout=60\r\n"
            + "Cache-Control: private, no-store\r\n"
            + "Vary: Accept-Encoding\r\n"
            + "X-Content-Type-Options: nosniff\r\n"
            + "Set-Cookie: session=6f1c2a9e0b7d4e58a3c1f2d9e8b7a6c5; Path=/; HttpOnly; Secure; SameSite=Lax\r\n"
            + "\r\n").getBytes(StandardCharsets.US_ASCII);

    private static final byte[] BODY = new byte[1024];
    private static final ByteBuf REQUEST_BYTES = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(REQUEST));
    private static final ByteBuf RESPONSE_BYTES = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(RESPONSE));

    private final HeadSyntax requestSyntax = HeadSyntax.forRequests();
    private final HeadSyntax responseSyntax = HeadSyntax.forResponses();
    private EmbeddedChannel clientSide;
    private EmbeddedChannel backendSide;
    private Http1ResponseEncoder answers;
    private Http1ResponseDecoder backendAnswers;
    private EmbeddedChannel ownClientSide;
    private EmbeddedChannel ownBackendSide;

    @Setup(Level.Iteration)
    public void setUpOwn() {
        answers = new Http1ResponseEncoder();
        ownClientSide = new EmbeddedChannel(answers, new Http1RequestDecoder(TimeUnit.SECONDS.toNanos(10),
                TimeUnit.SECONDS.toNanos(10), 8192, 16384, answers, null));
        backendAnswers = new Http1ResponseDecoder(8192, 65536);
        ownBackendSide = new EmbeddedChannel(backendAnswers, new Http1RequestEncoder(backendAnswers));
    }

    /** Each iteration starts with fresh connections: requestHead queues a method per request whose answer never comes. */
    @TearDown(Level.Iteration)
    public void tearDownOwn() {
        ownClientSide.finishAndReleaseAll();
        ownBackendSide.finishAndReleaseAll();
    }

    /** A request head from the client: checked and decoded in one pass, rewritten, encoded toward the backend. */
    @Benchmark
    public int requestHead() {
        ownClientSide.writeInbound(bytes(REQUEST));
        HttpRequest request = ownClientSide.readInbound();
        ReferenceCountUtil.release(ownClientSide.readInbound()); // the empty last content
        String requestId = ForwardedHeaders.requestId(request.headers());
        ForwardedHeaders.prepareUpstreamRequest(request, "198.51.100.23", true, "shop.example.com", "10.0.3.17:8080", requestId,
                false);
        written(ownBackendSide, request, LastHttpContent.EMPTY_LAST_CONTENT);
        return drained(ownBackendSide);
    }

    /** A response head from the backend: checked and decoded in one pass, shaped for the client, encoded toward it. */
    @Benchmark
    public int responseHead() {
        backendAnswers.requested(HttpMethod.GET);
        answers.requested(HttpMethod.GET);
        ownBackendSide.writeInbound(bytes(RESPONSE));
        HttpResponse response = ownBackendSide.readInbound();
        ForwardedHeaders.removeHopByHop(response.headers());
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        written(ownClientSide, response);
        int written = drained(ownClientSide);
        // The 1024 body bytes pass through as one slice, which ends the answer for the next round.
        ownBackendSide.writeInbound(bytes(BODY));
        for (Object part; (part = ownBackendSide.readInbound()) != null; ) {
            written(ownClientSide, part);
        }
        return written + drained(ownClientSide);
    }

    @Setup(Level.Trial)
    public void setUp() {
        clientSide = new EmbeddedChannel(new HttpRequestDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(8192).setMaxHeaderSize(16384).setMaxChunkSize(64 * 1024)
                .setStrictLineParsing(true).setUseRfc9112TransferEncoding(true)
                .setHeadersFactory(HeadSyntax.CHECKED_HEAD_HEADERS)), new HttpResponseEncoder());
        backendSide = new EmbeddedChannel(new HttpResponseDecoder(new HttpDecoderConfig()
                .setStrictLineParsing(true).setUseRfc9112TransferEncoding(true)
                .setHeadersFactory(HeadSyntax.CHECKED_HEAD_HEADERS)), new HttpRequestEncoder());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        clientSide.finishAndReleaseAll();
        backendSide.finishAndReleaseAll();
    }

    /** {@link #requestHead} on Netty's codec: checked, then decoded, rewritten and encoded toward the backend. */
    @Benchmark
    public int nettyRequestHead() {
        ByteBuf in = bytes(REQUEST);
        requestSyntax.reset();
        if (requestSyntax.feed(in) != HeadSyntax.COMPLETE) {
            throw new IllegalStateException("the request head does not pass the syntax check");
        }
        clientSide.writeInbound(in);
        HttpRequest request = clientSide.readInbound();
        ReferenceCountUtil.release(clientSide.readInbound()); // the empty last content
        String requestId = ForwardedHeaders.requestId(request.headers());
        ForwardedHeaders.prepareUpstreamRequest(request, "198.51.100.23", true, "shop.example.com", "10.0.3.17:8080", requestId,
                false);
        written(backendSide, request, LastHttpContent.EMPTY_LAST_CONTENT);
        return drained(backendSide);
    }

    /** {@link #responseHead} on Netty's codec: checked, then decoded, shaped for the client and encoded toward it. */
    @Benchmark
    public int nettyResponseHead() {
        ByteBuf in = bytes(RESPONSE);
        responseSyntax.reset();
        if (responseSyntax.feed(in) != HeadSyntax.COMPLETE) {
            throw new IllegalStateException("the response head does not pass the syntax check");
        }
        backendSide.writeInbound(in);
        HttpResponse response = backendSide.readInbound();
        ForwardedHeaders.removeHopByHop(response.headers());
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        written(clientSide, response);
        int written = drained(clientSide);
        // The decoder waits for the 1024 body bytes; a body-less stand-in ends the message for the next round.
        backendSide.writeInbound(bytes(BODY));
        drainInbound(backendSide);
        written(clientSide, LastHttpContent.EMPTY_LAST_CONTENT);
        return written + drained(clientSide);
    }

    /** The request head's syntax check alone: where its start line and fields lie, and its verdict. */
    @Benchmark
    public int requestSyntax() {
        return checked(requestSyntax, REQUEST_BYTES);
    }

    /** The response head's syntax check alone. */
    @Benchmark
    public int responseSyntax() {
        return checked(responseSyntax, RESPONSE_BYTES);
    }

    private static int checked(HeadSyntax syntax, ByteBuf head) {
        syntax.reset();
        if (syntax.feed(head) != HeadSyntax.COMPLETE) {
            throw new IllegalStateException("the head does not pass the syntax check");
        }
        return syntax.fields();
    }

    /** Writes as the proxy does, with the void promise (no promise per write), and flushes. */
    private static void written(EmbeddedChannel channel, Object... messages) {
        for (Object message : messages) {
            channel.write(message, channel.voidPromise());
        }
        channel.flush();
    }

    private static ByteBuf bytes(byte[] head) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(head.length).writeBytes(head);
    }

    private static int drained(EmbeddedChannel channel) {
        int bytes = 0;
        for (Object out; (out = channel.readOutbound()) != null; ) {
            bytes += out instanceof ByteBuf buf ? buf.readableBytes() : 0;
            ReferenceCountUtil.release(out);
        }
        return bytes;
    }

    private static void drainInbound(EmbeddedChannel channel) {
        for (Object in; (in = channel.readInbound()) != null; ) {
            ReferenceCountUtil.release(in);
        }
    }
}
