package dev.turnout.bench;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.BrotliEncoder;
import io.netty.handler.codec.compression.BrotliMode;
import io.netty.handler.codec.compression.GzipOptions;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.compression.ZstdEncoder;
import io.netty.handler.codec.compression.ZstdOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Response compression per encoding and level, the way the proxy compresses: one operation sends
 * two answers from {@link CompressionCorpus} (a ~128 KiB HTML page and a ~128 KiB JSON answer),
 * each through a new Netty encoder built with the options {@code ResponseCompressor} uses, in
 * 16 KiB chunks written and flushed one at a time, as {@code HttpContentCompressor} does per
 * content chunk. Every buffer in and out is released. The score is operations (both answers) per
 * second; the {@code compress:inputMB} line is the same rate in megabytes (10^6 bytes) of input
 * per second.
 *
 * <p>The compression ratio needs no timing: {@link CompressionRatios} prints it per setting.
 * Results and the chosen defaults are in {@code benchmarks/README.md}, "Compression levels".
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar CompressionBenchmark -f 1 -wi 2 -w 1s -i 3 -r 1s</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CompressionBenchmark {

    /** The size of the content chunks written to the encoder. */
    static final int CHUNK_SIZE = 16 * 1024;

    /** Encoding and level (Brotli: quality) as {@code encoding-level}. */
    @Param({"gzip-1", "gzip-4", "gzip-6", "gzip-9", "br-1", "br-4", "br-6", "br-9", "br-11",
        "zstd-1", "zstd-3", "zstd-6", "zstd-12", "zstd-19"})
    public String setting;

    private final List<ByteBuf> bodies = new ArrayList<>();
    private double inputMegabytes;

    @Setup
    public void setUp() {
        newEncoder(setting); // fails fast on a bad setting or a native library that does not load
        for (byte[] body : List.of(CompressionCorpus.html(), CompressionCorpus.json())) {
            bodies.add(Unpooled.directBuffer(body.length).writeBytes(body));
            inputMegabytes += body.length / 1e6;
        }
    }

    @TearDown
    public void tearDown() {
        bodies.forEach(ByteBuf::release);
        bodies.clear();
    }

    @Benchmark
    public long compress(InputRate rate) throws IOException {
        long compressed = 0;
        for (ByteBuf body : bodies) {
            compressed += compressAnswer(setting, body, CHUNK_SIZE, null);
        }
        rate.inputMB += inputMegabytes;
        return compressed;
    }

    /** Megabytes of input compressed, which JMH reports per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class InputRate {

        public double inputMB;

        @Setup(Level.Iteration)
        public void reset() {
            inputMB = 0;
        }
    }

    /**
     * A new encoder for {@code setting} ({@code gzip-6}, {@code br-4}, {@code zstd-3}), made as
     * {@code HttpContentCompressor} makes it from the options {@code ResponseCompressor} passes.
     */
    static ChannelHandler newEncoder(String setting) {
        int dash = setting.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("expected encoding-level, not " + setting);
        }
        String encoding = setting.substring(0, dash);
        int level = Integer.parseInt(setting.substring(dash + 1));
        switch (encoding) {
            case "gzip":
                GzipOptions gzip = StandardCompressionOptions.gzip(level, 15, 8);
                return ZlibCodecFactory.newZlibEncoder(ZlibWrapper.GZIP, gzip.compressionLevel(), gzip.windowBits(),
                        gzip.memLevel());
            case "br":
                Brotli4jLoader.ensureAvailability();
                return new BrotliEncoder(StandardCompressionOptions.brotli(level, 22, BrotliMode.TEXT).parameters());
            case "zstd":
                ZstdOptions zstd = StandardCompressionOptions.zstd(level, 1 << 16, 1 << 25);
                return new ZstdEncoder(zstd.compressionLevel(), zstd.blockSize(), zstd.maxEncodeSize());
            default:
                throw new IllegalArgumentException("unknown encoding " + encoding + " in " + setting);
        }
    }

    /**
     * Compresses {@code body} (left unchanged) as one answer: a new encoder, then the body in
     * chunks of {@code chunkSize}, each written and flushed, then the end of the stream. Returns
     * the compressed size and, when {@code copy} is not null, writes the compressed bytes to it.
     */
    static long compressAnswer(String setting, ByteBuf body, int chunkSize, OutputStream copy) throws IOException {
        EmbeddedChannel channel = new EmbeddedChannel(newEncoder(setting));
        try {
            long compressed = 0;
            for (int offset = body.readerIndex(); offset < body.writerIndex(); offset += chunkSize) {
                int length = Math.min(chunkSize, body.writerIndex() - offset);
                channel.writeOutbound(body.retainedSlice(offset, length));
                compressed += drain(channel, copy);
            }
            channel.finish();
            return compressed + drain(channel, copy);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static long drain(EmbeddedChannel channel, OutputStream copy) throws IOException {
        long bytes = 0;
        for (ByteBuf out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            try {
                bytes += out.readableBytes();
                if (copy != null) {
                    out.readBytes(copy, out.readableBytes());
                }
            } finally {
                out.release();
            }
        }
        return bytes;
    }
}
