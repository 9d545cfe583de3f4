package dev.turnout.proxy.it;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** One HTTP/1.1 client connection on a plain socket; requests and responses are framed by {@link HttpWire}. */
final class WireClient implements AutoCloseable {

    /** A hang guard, not a performance bound: a read that waits this long fails the test. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
    private static final int BUFFER = 64 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String host;

    WireClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) READ_TIMEOUT.toMillis());
        socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), BUFFER);
        out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
        host = "127.0.0.1:" + port;
    }

    /** Sends a request head; {@code extraHeaders} are whole header lines without CRLF. */
    void sendHead(String method, String target, String... extraHeaders) throws IOException {
        StringBuilder head = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append("\r\n");
        for (String h : extraHeaders) {
            head.append(h).append("\r\n");
        }
        HttpWire.writeAscii(out, head.append("\r\n").toString());
        out.flush();
    }

    /** The stream to write a request body to (buffered: flush it, or use {@link #chunkedBody()}). */
    OutputStream body() {
        return out;
    }

    HttpWire.ChunkedOutputStream chunkedBody() {
        return new HttpWire.ChunkedOutputStream(out);
    }

    void flush() throws IOException {
        out.flush();
    }

    /** Reads a response head; its body is then read from {@link Response#body()}. */
    Response readResponse() throws IOException {
        String statusLine = HttpWire.readLine(in);
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("bad status line: " + statusLine);
        }
        Map<String, String> headers = HttpWire.readHeaders(in);
        return new Response(Integer.parseInt(parts[1]), headers, HttpWire.body(in, headers, true));
    }

    /** Sends a GET without a body and reads the response head. */
    Response get(String target) throws IOException {
        sendHead("GET", target);
        return readResponse();
    }

    /** True once the server has closed the connection: the next read finds the end of the stream. */
    boolean closedByPeer() throws IOException {
        return in.read() < 0;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A response head and its unread body. */
    record Response(int status, Map<String, String> headers, InputStream body) {

        String bodyText() throws IOException {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        }

        PatternBytes.Tally tally() throws IOException {
            return new PatternBytes.Tally().consume(body);
        }
    }
}
