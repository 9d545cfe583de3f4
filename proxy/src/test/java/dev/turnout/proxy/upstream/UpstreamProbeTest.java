package dev.turnout.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The gRPC health check's messages, encoded by hand (protobuf wire format, gRPC length prefix). */
class UpstreamProbeTest {

    @Test
    void theRequestNamesTheServiceInField1() {
        ByteBuf whole = UpstreamProbe.healthCheckRequest("");
        assertEquals("0000000000", ByteBufUtil.hexDump(whole), "the server as a whole: an empty message");
        whole.release();
        ByteBuf named = UpstreamProbe.healthCheckRequest("test.Echo");
        assertEquals("000000000b" + "0a09" + ByteBufUtil.hexDump("test.Echo".getBytes()), ByteBufUtil.hexDump(named));
        named.release();
    }

    @Test
    void theAnswersServingStatusIsRead() {
        assertEquals(1, status("000000000208" + "01"), "SERVING");
        assertEquals(2, status("000000000208" + "02"), "NOT_SERVING");
        assertEquals(0, status("0000000000"), "an empty message: UNKNOWN");
        assertEquals(-1, status("01000000020801"), "compressed: not read");
        assertEquals(-1, status("00000000050801"), "cut short");
        assertEquals(-1, status("0000000002" + "1001"), "another field");
    }

    private static int status(String hex) {
        ByteBuf framed = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
        try {
            return UpstreamProbe.servingStatus(framed);
        } finally {
            framed.release();
        }
    }
}
