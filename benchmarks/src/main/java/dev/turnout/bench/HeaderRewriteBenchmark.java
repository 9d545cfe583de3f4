package dev.turnout.bench;

import dev.turnout.proxy.exchange.ForwardedHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the per-request header rewrite costs: {@link ForwardedHeaders#requestId} and
 * {@link ForwardedHeaders#prepareUpstreamRequest} on a browser-like request head (12 headers,
 * {@code Connection: keep-alive}, cookies, one X-Forwarded-For from a trusted proxy in front, whose
 * chain is kept and appended to; no X-Request-Id), as the data plane calls them once per request.
 *
 * <p>The rewrite changes the request in place, so every operation builds a fresh head first, the
 * way the decoder hands one over (validating headers, String names and values). {@code build}
 * measures that alone; {@code buildAndRequestId} adds the request id, {@code buildAndRewrite} adds
 * the id and the rewrite. The differences between them are what the proxy adds, in time and, with
 * {@code -prof gc}, in bytes allocated per request ({@code gc.alloc.rate.norm}).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar HeaderRewrite -f 1 -wi 2 -w 1s -i 3 -r 1s -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HeaderRewriteBenchmark {

    private static final String HOST = "shop.example.com";
    private static final String CLIENT_IP = "198.51.100.23";
    private static final String BACKEND_ADDRESS = "10.0.3.17:8080";

    @Benchmark
    public HttpRequest build() {
        return browserRequest();
    }

    @Benchmark
    public String buildAndRequestId() {
        return ForwardedHeaders.requestId(browserRequest().headers());
    }

    @Benchmark
    public HttpRequest buildAndRewrite() {
        HttpRequest request = browserRequest();
        String requestId = ForwardedHeaders.requestId(request.headers());
        // The data plane has read Host already (for routing), so that lookup is not counted here.
        ForwardedHeaders.prepareUpstreamRequest(request, CLIENT_IP, true, HOST, BACKEND_ADDRESS, requestId, false);
        return request;
    }

    /** A page load from a current Chrome behind one forwarding proxy, as HttpRequestDecoder would produce it. */
    private static HttpRequest browserRequest() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/products/4711?ref=home&utm_source=news");
        request.headers()
                .add("Host", HOST)
                .add("Connection", "keep-alive")
                .add("Cache-Control", "max-age=0")
                .add("Upgrade-Insecure-Requests", "1")
                .add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                        + "Chrome/131.0.0.0 Safari/537.36")
                .add("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8")
                .add("Sec-Fetch-Mode", "navigate")
                .add("Referer", "https://shop.example.com/")
                .add("Accept-Encoding", "gzip, deflate, br, zstd")
                .add("Accept-Language", "en-GB,en;q=0.9,de;q=0.8")
                .add("Cookie", "session=6f1c2a9e0b7d4e58a3c1f2d9e8b7a6c5; cart=3; _ga=GA1.2.1234567890.1700000000; theme=dark")
                .add("X-Forwarded-For", "203.0.113.7");
        return request;
    }
}
