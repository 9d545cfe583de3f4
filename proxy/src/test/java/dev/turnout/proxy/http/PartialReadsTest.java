package dev.turnout.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PartialReadsTest {

    private static ByteBuf text(String s) {
        return Unpooled.buffer().writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aSmallReadIsAddedBehindTheKeptBytes() {
        ByteBuf kept = text("GET / HT");
        ByteBuf read = text("TP/1.1\r\n");
        ByteBuf joined = PartialReads.join(kept, read);
        assertSame(kept, joined);
        assertEquals(0, read.refCnt(), "the read is released once copied");
        assertEquals("GET / HTTP/1.1\r\n", joined.toString(StandardCharsets.US_ASCII));
        joined.release();
    }

    @Test
    void aBigReadIsComposedNotCopied() {
        ByteBuf kept = text("5\r");
        ByteBuf read = Unpooled.buffer().writeZero(8192);
        ByteBuf joined = PartialReads.join(kept, read);
        assertNotSame(kept, joined);
        assertEquals(2 + 8192, joined.readableBytes());
        assertEquals(1, read.refCnt(), "the composite holds the read itself");
        joined.release();
        assertEquals(0, read.refCnt());
        assertEquals(0, kept.refCnt());
    }

    @Test
    void theRestIsKeptInABufferOfItsOwnAndTheReadReleased() {
        ByteBuf read = Unpooled.buffer(65536).writeBytes("done\r\nHost: a".getBytes(StandardCharsets.US_ASCII));
        read.skipBytes(6);
        ByteBuf rest = PartialReads.keep(ByteBufAllocator.DEFAULT, read);
        assertEquals(0, read.refCnt());
        assertEquals("Host: a", rest.toString(StandardCharsets.US_ASCII));
        assertEquals(256, rest.capacity(), "sized for the rest, not the read");
        rest.release();
    }
}
