package dev.turnout.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/2 client that writes frames as they are given, valid or not, over cleartext with prior
 * knowledge: for tests that misbehave on purpose. Header blocks are HPACK-encoded by Netty's
 * encoder; everything else is written byte by byte here.
 */
public final class RawHttp2Client implements AutoCloseable {

    public static final int DATA = 0;
    public static final int HEADERS = 1;
    public static final int RST_STREAM = 3;
    public static final int SETTINGS = 4;
    public static final int PING = 6;
    public static final int GOAWAY = 7;
    public static final int WINDOW_UPDATE = 8;
    public static final int CONTINUATION = 9;
    public static final int END_STREAM = 0x1;
    public static final int ACK = 0x1;
    public static final int END_HEADERS = 0x4;
    /** Error codes (RFC 9113 7). */
    public static final long NO_ERROR = 0;
    public static final long REFUSED_STREAM = 0x7;
    public static final long CANCEL = 0x8;
    public static final long ENHANCE_YOUR_CALM = 0xb;

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One frame as read. */
    public record Frame(int type, int flags, int streamId, byte[] payload) {

        /** The error code of a GOAWAY or RST_STREAM. */
        public long errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xffL) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8)
                    | (payload[at + 3] & 0xff);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);

    private RawHttp2Client(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Connects and sends the preface and {@code settings} (id, value pairs; none for an empty SETTINGS). */
    public static RawHttp2Client connect(InetSocketAddress address, int... settings) throws IOException {
        Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(10_000);
        RawHttp2Client client = new RawHttp2Client(socket);
        client.out.write(PREFACE);
        byte[] payload = new byte[settings.length / 2 * 6];
        for (int i = 0; i < settings.length; i += 2) {
            int at = i / 2 * 6;
            payload[at] = (byte) (settings[i] >> 8);
            payload[at + 1] = (byte) settings[i];
            putInt(payload, at + 2, settings[i + 1]);
        }
        client.frame(SETTINGS, 0, 0, payload);
        return client;
    }

    /** A request head for {@code path} on {@code method}, as HPACK bytes for a HEADERS frame. */
    public byte[] headerBlock(String method, String path, String... extra) throws Http2Exception {
        Http2Headers headers = new DefaultHttp2Headers().method(method).path(path).scheme("http").authority("a.test");
        for (int i = 0; i < extra.length; i += 2) {
            headers.add(extra[i], extra[i + 1]);
        }
        ByteBuf block = Unpooled.buffer();
        try {
            encoder.encodeHeaders(0, headers, block);
            byte[] bytes = new byte[block.readableBytes()];
            block.readBytes(bytes);
            return bytes;
        } finally {
            block.release();
        }
    }

    public RawHttp2Client headers(int streamId, boolean endStream, String method, String path, String... extra)
            throws IOException, Http2Exception {
        return frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), streamId, headerBlock(method, path, extra));
    }

    public RawHttp2Client rst(int streamId, long errorCode) throws IOException {
        byte[] payload = new byte[4];
        putInt(payload, 0, (int) errorCode);
        return frame(RST_STREAM, 0, streamId, payload);
    }

    public RawHttp2Client ping(long data) throws IOException {
        byte[] payload = new byte[8];
        putInt(payload, 0, (int) (data >>> 32));
        putInt(payload, 4, (int) data);
        return frame(PING, 0, 0, payload);
    }

    /** Writes one frame (not flushed beyond the socket's own buffering). */
    public RawHttp2Client frame(int type, int flags, int streamId, byte[] payload) throws IOException {
        byte[] head = new byte[9];
        head[0] = (byte) (payload.length >> 16);
        head[1] = (byte) (payload.length >> 8);
        head[2] = (byte) payload.length;
        head[3] = (byte) type;
        head[4] = (byte) flags;
        putInt(head, 5, streamId);
        out.write(head);
        out.write(payload);
        return this;
    }

    /** The next frame, or null once the server has closed the connection. */
    public Frame read() throws IOException {
        byte[] head = new byte[9];
        try {
            in.readFully(head);
        } catch (EOFException | SocketException e) {
            return null;
        }
        int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
        byte[] payload = new byte[length];
        in.readFully(payload);
        int streamId = ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16) | ((head[7] & 0xff) << 8) | (head[8] & 0xff);
        return new Frame(head[3], head[4] & 0xff, streamId, payload);
    }

    /** The frames until one of {@code type} (returned) or the end of the connection (null). */
    public Frame readUntil(int type) throws IOException {
        for (Frame frame; (frame = read()) != null; ) {
            if (frame.type() == type) {
                return frame;
            }
        }
        return null;
    }

    /** Reads everything until the server closes the connection; true if it did within the socket timeout. */
    public boolean readUntilClosed() throws IOException {
        try {
            while (read() != null) {
                // drained
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    /** The decoded header block of a HEADERS frame (without padding or priority). */
    public Http2Headers decode(Frame headers) throws Http2Exception {
        ByteBuf block = Unpooled.wrappedBuffer(headers.payload());
        try {
            return decoder.decodeHeaders(headers.streamId(), block);
        } finally {
            block.release();
        }
    }

    public Socket socket() {
        return socket;
    }

    private static void putInt(byte[] bytes, int at, int value) {
        bytes[at] = (byte) (value >> 24);
        bytes[at + 1] = (byte) (value >> 16);
        bytes[at + 2] = (byte) (value >> 8);
        bytes[at + 3] = (byte) value;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
