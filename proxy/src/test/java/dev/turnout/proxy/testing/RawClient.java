package dev.turnout.proxy.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * An HTTP/1.x client on a plain socket, for what {@code java.net.http} cannot do: pipelining,
 * HTTP/1.0, malformed input, a chosen Host header, and watching the connection close. Every read
 * has a deadline (the socket timeout), so a hung proxy fails the test instead of hanging it.
 */
public final class RawClient implements AutoCloseable {

    private static final int READ_TIMEOUT_MILLIS = (int) Await.DEFAULT_TIMEOUT.toMillis();
    private static final int MAX_HEAD = 64 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code 127.0.0.1:port}. */
    public static RawClient connect(int port) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        s.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
        return new RawClient(s);
    }

    public static RawClient connect(InetSocketAddress address) throws IOException {
        return connect(address.getPort());
    }

    /** Connects to {@code host:port} exactly ({@code ::1} for IPv6 loopback). */
    public static RawClient connect(String host, int port) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        s.connect(new InetSocketAddress(host, port), READ_TIMEOUT_MILLIS);
        return new RawClient(s);
    }

    /** Sends these characters (ISO-8859-1) in one write. */
    public RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public RawClient send(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
        out.flush();
        return this;
    }

    /** Shuts down the sending side (the proxy reads end of stream). */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** Sends a GET and reads its response. */
    public RawResponse get(String host, String path) throws IOException {
        send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        return readResponse();
    }

    /** Sends a POST with this body (its length declared) and reads its response. */
    public RawResponse post(String host, String path, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        send("POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + bytes.length + "\r\n\r\n");
        send(bytes);
        return readResponse();
    }

    /** Reads one response, keeping its body. */
    public RawResponse readResponse() throws IOException {
        return readResponse(false, true);
    }

    /**
     * Reads one response.
     *
     * @param toHead   the request was HEAD: no body follows, whatever the headers say
     * @param keepBody keep the body bytes (otherwise only its length and checksum)
     */
    public RawResponse readResponse(boolean toHead, boolean keepBody) throws IOException {
        String statusLine = readLine();
        if (statusLine == null) {
            throw new EOFException("connection closed before a status line");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        int headBytes = statusLine.length();
        for (String line = readLine(); ; line = readLine()) {
            if (line == null) {
                throw new EOFException("connection closed in the response head");
            }
            if (line.isEmpty()) {
                break;
            }
            headBytes += line.length();
            if (headBytes > MAX_HEAD) {
                throw new IOException("response head too long");
            }
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        BodySink body = new BodySink(keepBody);
        boolean truncated = false;
        boolean bodyless = toHead || status / 100 == 1 || status == 204 || status == 304;
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (bodyless) {
            // nothing
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            truncated = !readChunked(body);
        } else if (cl != null) {
            truncated = !readFixed(body, Long.parseLong(cl));
        } else {
            readUntilClose(body);
        }
        return new RawResponse(parts[0], status, headers, body.bytes(), body.length, body.crc.getValue(), truncated);
    }

    /**
     * Waits until the proxy closes the connection and returns whatever arrived before that; a
     * reset counts as closed. Fails (with a timeout) if it stays open.
     */
    public byte[] readUntilClosed() throws IOException {
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                rest.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open after " + READ_TIMEOUT_MILLIS + " ms", e);
        } catch (SocketException expected) {
            // reset: closed as well
        }
        return rest.toByteArray();
    }

    /**
     * Reads to the end of the stream: true when the proxy closed it with a FIN, false when it reset
     * the connection, which may destroy an answer the client has not read yet (RFC 9112 9.6).
     */
    public boolean endsWithFin() throws IOException {
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) >= 0) {
                continue;
            }
            return true;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open after " + READ_TIMEOUT_MILLIS + " ms", e);
        } catch (SocketException reset) {
            return false;
        }
    }

    /** True when the peer has closed (end of stream or reset) with nothing more to read. */
    public boolean isClosedByPeer() throws IOException {
        return readUntilClosed().length == 0;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private boolean readChunked(BodySink body) throws IOException {
        while (true) {
            String sizeLine = readLine();
            if (sizeLine == null) {
                return false;
            }
            int semi = sizeLine.indexOf(';');
            long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                for (String trailer = readLine(); trailer != null && !trailer.isEmpty(); trailer = readLine()) {
                    // trailers are skipped
                    continue;
                }
                return true;
            }
            if (!readFixed(body, size)) {
                return false;
            }
            if (readLine() == null) {
                return false;
            }
        }
    }

    private boolean readFixed(BodySink body, long length) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = readSome(buf, (int) Math.min(buf.length, left));
            if (n < 0) {
                return false;
            }
            body.write(buf, n);
            left -= n;
        }
        return true;
    }

    private void readUntilClose(BodySink body) throws IOException {
        byte[] buf = new byte[64 * 1024];
        for (int n = readSome(buf, buf.length); n >= 0; n = readSome(buf, buf.length)) {
            body.write(buf, n);
        }
    }

    private int readSome(byte[] buf, int max) throws IOException {
        try {
            return in.read(buf, 0, max);
        } catch (SocketException e) {
            return -1; // reset
        }
    }

    /** A CRLF- (or LF-) terminated line without its terminator; null at end of stream. */
    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (SocketException e) {
                b = -1;
            }
            if (b < 0) {
                return line.length() == 0 ? null : line.toString();
            }
            if (b == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                return line.toString();
            }
            line.append((char) b);
            if (line.length() > MAX_HEAD) {
                throw new IOException("line too long");
            }
        }
    }

    private static final class BodySink {
        private final ByteArrayOutputStream kept;
        private final CRC32 crc = new CRC32();
        private long length;

        BodySink(boolean keep) {
            this.kept = keep ? new ByteArrayOutputStream() : null;
        }

        void write(byte[] buf, int n) {
            crc.update(buf, 0, n);
            length += n;
            if (kept != null) {
                kept.write(buf, 0, n);
            }
        }

        byte[] bytes() {
            return kept == null ? null : kept.toByteArray();
        }
    }
}
