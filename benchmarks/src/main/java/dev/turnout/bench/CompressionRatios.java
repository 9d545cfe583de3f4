package dev.turnout.bench;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.github.luben.zstd.ZstdInputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.openjdk.jmh.annotations.Param;

/**
 * The compression ratio of each {@link CompressionBenchmark} setting on the same corpus, which
 * needs no timing: original size over compressed size, for the HTML page, the JSON answer and
 * both, sent as the benchmark sends them (16 KiB chunks, each flushed). The last column sends
 * each body in one write instead, to show what flushing every chunk costs. Every compressed
 * answer is decompressed and compared with the original before it is counted.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.turnout.bench.CompressionRatios [setting ...]</pre>
 *
 * <p>With no argument, it takes the settings of {@link CompressionBenchmark}'s {@code setting} parameter.
 */
@SuppressWarnings("checkstyle:regexp") // a command-line tool: printing the table is the point
public final class CompressionRatios {

    private CompressionRatios() {
    }

    public static void main(String[] args) throws Exception {
        String[] settings = args.length > 0 ? args
                : CompressionBenchmark.class.getField("setting").getAnnotation(Param.class).value();
        byte[] html = CompressionCorpus.html();
        byte[] json = CompressionCorpus.json();
        System.out.printf(Locale.ROOT, "corpus: HTML %d bytes, JSON %d bytes, %d-byte chunks%n%n", html.length, json.length,
                CompressionBenchmark.CHUNK_SIZE);
        System.out.println("| setting | HTML ratio | JSON ratio | compressed bytes | ratio | ratio, one write |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (String setting : settings) {
            long htmlOut = compressedSize(setting, html, CompressionBenchmark.CHUNK_SIZE);
            long jsonOut = compressedSize(setting, json, CompressionBenchmark.CHUNK_SIZE);
            long oneWrite = compressedSize(setting, html, html.length) + compressedSize(setting, json, json.length);
            long in = html.length + json.length;
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %d | %.2f | %.2f |%n", setting, (double) html.length / htmlOut,
                    (double) json.length / jsonOut, htmlOut + jsonOut, (double) in / (htmlOut + jsonOut),
                    (double) in / oneWrite);
        }
    }

    /** The compressed size of {@code body} sent in {@code chunkSize} chunks, after checking it decompresses to {@code body}. */
    static long compressedSize(String setting, byte[] body, int chunkSize) throws IOException {
        ByteBuf input = Unpooled.directBuffer(body.length).writeBytes(body);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        long size;
        try {
            size = CompressionBenchmark.compressAnswer(setting, input, chunkSize, compressed);
        } finally {
            input.release();
        }
        if (size != compressed.size() || !Arrays.equals(body, decompress(setting, compressed.toByteArray()))) {
            throw new IllegalStateException(setting + ": the compressed answer does not decompress to the original");
        }
        return size;
    }

    private static byte[] decompress(String setting, byte[] compressed) throws IOException {
        InputStream source = new ByteArrayInputStream(compressed);
        String encoding = setting.substring(0, setting.indexOf('-'));
        InputStream in;
        switch (encoding) {
            case "gzip":
                in = new GZIPInputStream(source);
                break;
            case "br":
                Brotli4jLoader.ensureAvailability();
                in = new BrotliInputStream(source);
                break;
            case "zstd":
                in = new ZstdInputStream(source);
                break;
            default:
                throw new IllegalArgumentException("unknown encoding " + encoding + " in " + setting);
        }
        try (in) {
            return in.readAllBytes();
        }
    }
}
