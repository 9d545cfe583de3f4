package dev.turnout.admin;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One request written byte for byte on a new connection (with {@code Connection: close}), and the answer
 * read to the end: for heads no HTTP client lets a test write, such as a foreign Host or Origin.
 */
record RawExchange(int status, String head, String body) {

    static RawExchange send(InetSocketAddress address, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 10_000);
            socket.setSoTimeout(30_000); // a hang guard: a correct server answers long before
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int end = answer.indexOf("\r\n\r\n");
            if (!answer.startsWith("HTTP/1.") || end < 0) {
                throw new IOException("not an HTTP answer: " + answer);
            }
            return new RawExchange(Integer.parseInt(answer.substring(9, 12)), answer.substring(0, end),
                    answer.substring(end + 4));
        }
    }

    /** A request with these head lines (each ending in CRLF) and no body. */
    static RawExchange send(InetSocketAddress address, String method, String path, String headLines) throws IOException {
        return send(address, method + " " + path + " HTTP/1.1\r\n" + headLines
                + "Content-Length: 0\r\nConnection: close\r\n\r\n");
    }

    boolean hasHeader(String name) {
        return head.toLowerCase(Locale.ROOT).contains("\r\n" + name.toLowerCase(Locale.ROOT) + ":");
    }

    @Override
    public String toString() {
        return head + "\n\n" + body;
    }
}
