package dev.turnout.proxy.compression;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.github.luben.zstd.util.Native;
import dev.turnout.proxy.config.CompressionConfig;
import io.netty.handler.codec.compression.BrotliMode;
import io.netty.handler.codec.compression.CompressionOptions;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Compresses answers on their way to the client, streaming chunk by chunk. Netty's compressor
 * negotiates the encoding from {@code Accept-Encoding} (q-values; {@code br}, {@code gzip},
 * {@code zstd}; {@code q=0} refuses) and passes 1xx, 204, 304 and HEAD answers through; this
 * class decides which answers are worth it: a compressible media type, not already encoded, not
 * a range, and not known to be shorter than {@code min-length}. Such answers get
 * {@code Vary: Accept-Encoding} whether compressed for this client or not, since their form
 * depends on it; the others get none, since no client would get them compressed.
 *
 * <p>One instance per client connection: the encoder keeps each request's Accept-Encoding.
 */
public final class ResponseCompressor extends HttpContentCompressor {

    private final CompressionConfig config;
    private final List<String> preference;

    private ResponseCompressor(CompressionConfig config, CompressionOptions[] options, List<String> preference) {
        super(0, options);
        this.config = config;
        this.preference = preference;
    }

    /**
     * Makes one compressor per connection, all sharing the options of every encoding whose native
     * library loads here (gzip always does).
     */
    public static Supplier<ResponseCompressor> factory(CompressionConfig config) {
        // Preference on equal q-values, by measured ratio (benchmarks/README.md): br, then gzip, then
        // zstd, whose encoder frames every flushed chunk on its own and so compresses least here.
        List<CompressionOptions> options = new ArrayList<>();
        List<String> preference = new ArrayList<>();
        if (Brotli4jLoader.isAvailable()) {
            options.add(StandardCompressionOptions.brotli(config.brotliQuality(), 22, BrotliMode.TEXT));
            preference.add("br");
        }
        options.add(StandardCompressionOptions.gzip(config.gzipLevel(), 15, 8));
        preference.add("gzip");
        if (Native.isLoaded() || zstdLoads()) {
            options.add(StandardCompressionOptions.zstd(config.zstdLevel(), 1 << 16, 1 << 25));
            preference.add("zstd");
        }
        CompressionOptions[] shared = options.toArray(CompressionOptions[]::new);
        List<String> order = List.copyOf(preference);
        return () -> new ResponseCompressor(config, shared, order);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, HttpRequest request, List<Object> out) throws Exception {
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            // A compressed answer is sent chunked, which HTTP/1.0 lacks: its clients get identity.
            request.headers().remove(HttpHeaderNames.ACCEPT_ENCODING);
        }
        super.decode(ctx, request, out);
    }

    private static boolean zstdLoads() {
        try {
            Native.load();
            return true;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    @Override
    protected Result beginEncode(HttpResponse response, String acceptEncoding) throws Exception {
        return markVary(response) ? super.beginEncode(response, acceptEncoding) : null;
    }

    /**
     * Whether this answer is worth compressing: a compressible type, not a range, not encoded already
     * and not known to be short. Such an answer is marked {@code Vary: Accept-Encoding} here, since its
     * form depends on the field whether or not this client gets it compressed.
     */
    public boolean markVary(HttpResponse response) {
        HttpHeaders headers = response.headers();
        if (!compressibleType(headers.get(HttpHeaderNames.CONTENT_TYPE))) {
            return false;
        }
        boolean range = response.status().equals(HttpResponseStatus.PARTIAL_CONTENT)
                || headers.contains(HttpHeaderNames.CONTENT_RANGE);
        boolean encoded = headers.contains(HttpHeaderNames.CONTENT_ENCODING)
                && !headers.contains(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.IDENTITY, true);
        long length = HttpUtil.getContentLength(response, -1L);
        if (range || encoded || (length >= 0 && length < config.minLength())) {
            return false; // compressed for no one: its form does not depend on Accept-Encoding
        }
        if (!headers.containsValue(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING, true)
                && !headers.containsValue(HttpHeaderNames.VARY, "*", true)) {
            headers.add(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
        }
        return true;
    }

    /** The coding this client would get for an answer worth compressing, or null for identity. */
    public String codingFor(String acceptEncoding) {
        return negotiate(acceptEncoding, preference);
    }

    /**
     * The encoding to use, or null for identity: the acceptable coding (q above 0, named or by
     * {@code *}) with the highest q-value, ties going to the better ratio (br, gzip, zstd).
     */
    @Override
    protected String determineEncoding(String acceptEncoding) {
        return negotiate(acceptEncoding, preference);
    }

    static String negotiate(String acceptEncoding, List<String> preference) {
        if (acceptEncoding == null || acceptEncoding.isBlank()) {
            return null;
        }
        if (acceptEncoding.indexOf(',') < 0 && acceptEncoding.indexOf(';') < 0) {
            // One coding at q=1, such as the "identity" Netty passes for a request without the field:
            // read without splitting, since every answer asks.
            String coding = acceptEncoding.trim().toLowerCase(Locale.ROOT);
            return coding.equals("*") ? preference.get(0) : preference.contains(coding) ? coding : null;
        }
        Map<String, Double> q = new HashMap<>();
        for (String part : acceptEncoding.split(",")) {
            String[] params = part.split(";");
            String coding = params[0].trim().toLowerCase(Locale.ROOT);
            double value = 1.0;
            for (int i = 1; i < params.length; i++) {
                String param = params[i].trim().toLowerCase(Locale.ROOT);
                if (param.startsWith("q=")) {
                    try {
                        value = Double.parseDouble(param.substring(2));
                    } catch (NumberFormatException e) {
                        value = 0;
                    }
                }
            }
            if (!coding.isEmpty()) {
                q.put(coding, value);
            }
        }
        String best = null;
        double bestQ = 0;
        for (String coding : preference) {
            double value = q.getOrDefault(coding, q.getOrDefault("*", 0.0));
            if (value > bestQ) {
                best = coding;
                bestQ = value;
            }
        }
        return best;
    }

    /** A configured type, and never gRPC's, whose messages are framed (and compressed) by gRPC itself. */
    boolean compressibleType(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        if (type.startsWith("application/grpc")) {
            return false;
        }
        for (String pattern : config.types()) {
            if (pattern.endsWith("/*") ? type.startsWith(pattern.substring(0, pattern.length() - 1))
                    : pattern.startsWith("*+") ? type.endsWith(pattern.substring(1)) : type.equals(pattern)) {
                return true;
            }
        }
        return false;
    }
}
