package dev.turnout.proxy.it;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Just enough HTTP/1.1 framing for the process-level tests, on plain blocking streams: start lines,
 * header blocks, and bodies delimited by Content-Length, chunked encoding, or the end of the
 * connection. Written by hand so the tests see exactly what crossed the socket: no client library
 * retries, pools or buffers a body in between.
 */
final class HttpWire {

    private static final int MAX_LINE = 16 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};

    private HttpWire() {
    }

    /** A line without its CRLF, or null at a clean end of stream before any byte of it. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_LINE) {
                throw new IOException("line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        if (line.size() == 0) {
            return null;
        }
        throw new EOFException("stream ended inside a line: " + line.toString(StandardCharsets.ISO_8859_1));
    }

    /** Header fields up to the empty line; names lower-cased, a repeated field keeps its last value. */
    static Map<String, String> readHeaders(InputStream in) throws IOException {
        Map<String, String> headers = new TreeMap<>();
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line: " + line);
            }
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        if (line == null) {
            throw new EOFException("stream ended inside a header block");
        }
        return headers;
    }

    static boolean isChunked(Map<String, String> headers) {
        String te = headers.get("transfer-encoding");
        return te != null && te.toLowerCase(Locale.ROOT).endsWith("chunked");
    }

    /**
     * The body that follows a header block. Without Content-Length or chunked encoding a request
     * has no body and a response runs to the end of the connection (RFC 9112 section 6.3).
     */
    static InputStream body(InputStream in, Map<String, String> headers, boolean response) {
        if (isChunked(headers)) {
            return new ChunkedInputStream(in);
        }
        String length = headers.get("content-length");
        if (length != null) {
            return new FixedLengthInputStream(in, Long.parseLong(length));
        }
        return response ? new FixedLengthInputStream(in, Long.MAX_VALUE) : InputStream.nullInputStream();
    }

    static void writeAscii(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A body of {@code length} bytes from {@code in}; reading past it returns -1. */
    static final class FixedLengthInputStream extends InputStream {

        private final InputStream in;
        private long left;
        private final boolean untilClose;

        FixedLengthInputStream(InputStream in, long length) {
            this.in = in;
            this.left = length;
            this.untilClose = length == Long.MAX_VALUE;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                if (untilClose) {
                    left = 0;
                    return -1;
                }
                throw new EOFException("connection closed with " + left + " body bytes still due");
            }
            left -= n;
            return n;
        }
    }

    /** Decodes a chunked body; trailer fields are read and dropped. */
    static final class ChunkedInputStream extends InputStream {

        private final InputStream in;
        private long chunkLeft;
        private boolean done;

        ChunkedInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (chunkLeft == 0) {
                String size = readLine(in);
                if (size == null) {
                    throw new EOFException("connection closed before the last chunk");
                }
                int semicolon = size.indexOf(';');
                chunkLeft = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (chunkLeft == 0) {
                    readHeaders(in);
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, chunkLeft));
            if (n < 0) {
                throw new EOFException("connection closed inside a chunk");
            }
            chunkLeft -= n;
            if (chunkLeft == 0 && !"".equals(readLine(in))) {
                throw new IOException("chunk not followed by CRLF");
            }
            return n;
        }
    }

    /** Writes each write as one chunk; {@link #finish()} writes the last chunk. Never closes {@code out}. */
    static final class ChunkedOutputStream extends FilterOutputStream {

        ChunkedOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            writeAscii(out, Integer.toHexString(len));
            out.write(CRLF);
            out.write(b, off, len);
            out.write(CRLF);
        }

        void finish() throws IOException {
            writeAscii(out, "0\r\n\r\n");
            out.flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
