package dev.turnout.proxy.accesslog;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.ThreadExecutorMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log written by Turnout itself, as nginx writes {@code access_log ... buffer=64k flush=1s}:
 * each event loop formats its lines into a 64 KiB buffer of its own (no lock, no object per line),
 * and hands the buffer to one writer thread when it is full or a second old. The writer appends
 * it to the file and gives the buffer back.
 *
 * <p>Memory is bounded: one buffer per event loop, at most {@value #QUEUED} waiting for the writer,
 * and the spares it hands back. When the disk falls that far behind, the lines of the next full
 * buffer are dropped and counted ({@link #dropped()}), never waited for. The writer notices
 * within a second when the file was moved or deleted (logrotate without {@code copytruncate})
 * and opens the path anew.
 */
public final class FileAccessLog implements AccessLog, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FileAccessLog.class);
    static final int BUFFER_SIZE = 64 * 1024;
    private static final int QUEUED = 16;
    private static final long FLUSH_MILLIS = 1000;
    private static final Chunk CLOSE = new Chunk(new byte[0], 0, 0);

    private record Chunk(byte[] bytes, int length, int lines) {
    }

    /** One thread's lines not yet handed to the writer; touched by that thread only (and by {@link #close}). */
    private final class LineBuffer {
        final LineFormat.Clock clock = new LineFormat.Clock(ZoneId.systemDefault());
        final EventExecutor loop;
        ScheduledFuture<?> flusher;
        byte[] bytes = spare();
        int length;
        int lines;

        LineBuffer(EventExecutor loop) {
            this.loop = loop;
        }

        void handOff() {
            if (length == 0) {
                return;
            }
            if (closed || !queue.offer(new Chunk(bytes, length, lines))) {
                dropped.add(lines);
            } else {
                bytes = spare();
            }
            length = 0;
            lines = 0;
        }
    }

    private final Path file;
    private final LineFormat format;
    private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED);
    private final ConcurrentLinkedQueue<byte[]> spares = new ConcurrentLinkedQueue<>();
    private final List<LineBuffer> buffers = new CopyOnWriteArrayList<>();
    private final LongAdder dropped = new LongAdder();
    private final FastThreadLocal<LineBuffer> local = new FastThreadLocal<>() {
        @Override
        protected LineBuffer initialValue() {
            LineBuffer buffer = new LineBuffer(ThreadExecutorMap.currentExecutor());
            if (buffer.loop != null) {
                buffer.flusher = buffer.loop.scheduleAtFixedRate(buffer::handOff, FLUSH_MILLIS, FLUSH_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
            buffers.add(buffer);
            return buffer;
        }
    };
    private final Thread writer;
    private FileChannel channel;
    private Object fileKey;
    private volatile boolean closed;

    private FileAccessLog(Path file, LineFormat format) throws IOException {
        this.file = file;
        this.format = format;
        open();
        this.writer = new Thread(this::writeUntilClosed, "turnout-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Opens (creates, appends to) the file; fails here, at start-up, when it cannot be written. */
    public static FileAccessLog open(Path file, LineFormat format) throws IOException {
        return new FileAccessLog(file, format);
    }

    @Override
    public void log(String clientIp, String method, String uri, int status, long bodyBytes, long durationNanos,
            String route, String pool, String backend, String requestId) {
        LineBuffer buffer = local.get();
        int room = format.maxLength(clientIp, method, uri, route, pool, backend, requestId);
        if (buffer.bytes.length - buffer.length < room) {
            buffer.handOff();
            if (buffer.bytes.length < room) { // a line longer than a buffer goes alone, in one of its size
                buffer.bytes = new byte[room];
            }
        }
        buffer.length = format.write(buffer.bytes, buffer.length, buffer.clock, System.currentTimeMillis(), clientIp,
                method, uri, status, bodyBytes, durationNanos, route, pool, backend, requestId);
        buffer.lines++;
        if (buffer.loop == null) {
            buffer.handOff(); // no event loop to flush it later
        }
    }

    /** Lines dropped because the writer had fallen behind or could not write. */
    public long dropped() {
        return dropped.sum();
    }

    /**
     * Writes what every thread still holds and closes the file. Call it once the event loops have
     * stopped (a buffer of a loop still running is flushed on that loop).
     */
    @Override
    public void close() throws InterruptedException {
        for (LineBuffer buffer : buffers) {
            if (buffer.flusher != null) {
                buffer.flusher.cancel(false);
            }
            if (buffer.loop != null && !buffer.loop.isShuttingDown()) {
                buffer.loop.submit(buffer::handOff).await(1, TimeUnit.SECONDS);
            } else {
                buffer.handOff();
            }
        }
        closed = true;
        queue.put(CLOSE);
        writer.join(TimeUnit.SECONDS.toMillis(5));
    }

    private byte[] spare() {
        byte[] bytes = spares.poll();
        return bytes != null ? bytes : new byte[BUFFER_SIZE];
    }

    private void writeUntilClosed() {
        long reopenCheck = System.nanoTime();
        try {
            while (true) {
                Chunk chunk = queue.poll(FLUSH_MILLIS, TimeUnit.MILLISECONDS);
                if (chunk == CLOSE) {
                    break;
                }
                if (chunk != null) {
                    write(chunk);
                }
                if (System.nanoTime() - reopenCheck > TimeUnit.MILLISECONDS.toNanos(FLUSH_MILLIS)) {
                    reopenCheck = System.nanoTime();
                    reopenIfMoved();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeChannel();
        }
    }

    private void write(Chunk chunk) {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(chunk.bytes, 0, chunk.length);
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            dropped.add(chunk.lines);
            LOG.warn("access log {}: {} lines not written: {}", file, chunk.lines, e.toString());
        }
        if (chunk.bytes.length == BUFFER_SIZE) {
            spares.offer(chunk.bytes);
        }
    }

    private void reopenIfMoved() {
        Object key;
        try {
            key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            key = null;
        } catch (IOException e) {
            return;
        }
        if (key != null && Objects.equals(key, fileKey)) {
            return;
        }
        closeChannel();
        try {
            open();
            LOG.info("access log {} reopened (it was moved or deleted)", file);
        } catch (IOException e) {
            LOG.warn("access log {}: cannot reopen: {}", file, e.toString());
        }
    }

    private void open() throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        fileKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    private void closeChannel() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            LOG.warn("access log {}: {}", file, e.toString());
        }
    }
}
