package dev.turnout.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

/**
 * The bytes of a head or a line that has not all arrived, kept by a decoder from one read to the next
 * in a buffer of their own size, so that no read buffer is held between reads.
 */
public final class PartialReads {

    /** A read this small is copied behind the kept bytes rather than composed with them. */
    private static final int SMALL_READ = 4096;

    private PartialReads() {
    }

    /**
     * The kept bytes followed by the new read, one buffer to decode; takes over both. A small read is
     * added to the kept bytes; a big one (a body) is not copied.
     */
    public static ByteBuf join(ByteBuf kept, ByteBuf read) {
        if (read.readableBytes() > SMALL_READ) {
            return Unpooled.wrappedBuffer(kept, read);
        }
        kept.writeBytes(read);
        read.release();
        return kept;
    }

    /** What is left of {@code bytes}, copied into a buffer of its size; releases {@code bytes}. */
    public static ByteBuf keep(ByteBufAllocator alloc, ByteBuf bytes) {
        ByteBuf rest = alloc.buffer(Math.max(256, bytes.readableBytes() * 2));
        rest.writeBytes(bytes);
        bytes.release();
        return rest;
    }
}
