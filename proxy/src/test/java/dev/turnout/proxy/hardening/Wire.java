package dev.turnout.proxy.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One raw exchange on a fresh connection, with short deadlines so that a proxy that keeps waiting
 * costs a test a second, not the default ten: sends the bytes, reads the first final response,
 * then watches briefly whether the connection closes.
 */
final class Wire {

    private static final Pattern STATUS = Pattern.compile("^HTTP/\\d\\.\\d (\\d{3})");
    private static final Pattern LENGTH = Pattern.compile("(?im)^content-length: *(\\d+)");
    private static final Pattern CHUNKED = Pattern.compile("(?im)^transfer-encoding: *chunked");

    private Wire() {
    }

    /**
     * What came back for one request.
     *
     * @param status the first final response's status, or -1 when none arrived
     * @param closed the proxy closed the connection (after its answer, if any)
     * @param raw    everything received, as ISO-8859-1 text
     */
    record Result(int status, boolean closed, String raw) {

        boolean answered() {
            return status > 0;
        }

        String body() {
            int start = raw.indexOf("\r\n\r\n");
            return start < 0 ? "" : raw.substring(start + 4);
        }

        @Override
        public String toString() {
            String head = raw.length() > 300 ? raw.substring(0, 300) + "..." : raw;
            return (answered() ? "status " + status : "no answer") + (closed ? ", closed" : ", left open") + ": "
                    + StrictBackend.escape(head);
        }
    }

    static Result exchange(InetSocketAddress proxy, String request) throws IOException {
        return exchange(proxy, request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(2),
                Duration.ofMillis(500), false);
    }

    /**
     * @param answerWait how long to wait for the answer
     * @param closeWait  how long to wait for the close once the answer is complete
     * @param halfClose  shut down the sending side right after the request (the client is gone)
     */
    static Result exchange(InetSocketAddress proxy, byte[] request, Duration answerWait, Duration closeWait,
            boolean halfClose) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.getPort()), 2000);
            socket.setSoTimeout((int) answerWait.toMillis());
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
                if (halfClose) {
                    socket.shutdownOutput();
                }
            } catch (SocketException expected) {
                // the proxy may close before reading everything; what it answered is still readable
            }
            return read(socket, closeWait);
        }
    }

    private static Result read(Socket socket, Duration closeWait) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        int status = -1;
        while (true) {
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                return new Result(status, false, got.toString(StandardCharsets.ISO_8859_1));
            } catch (SocketException e) {
                n = -1;
            }
            if (n < 0) {
                String raw = got.toString(StandardCharsets.ISO_8859_1);
                return new Result(status > 0 ? status : statusOf(raw), true, raw);
            }
            got.write(buf, 0, n);
            if (status < 0) {
                status = completeFinalStatus(got.toString(StandardCharsets.ISO_8859_1));
                if (status > 0) {
                    socket.setSoTimeout((int) closeWait.toMillis());
                }
            }
        }
    }

    private static int statusOf(String raw) {
        Matcher m = STATUS.matcher(skipInterim(raw));
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static String skipInterim(String raw) {
        String rest = raw;
        while (rest.startsWith("HTTP/1.1 1") && rest.contains("\r\n\r\n")) {
            rest = rest.substring(rest.indexOf("\r\n\r\n") + 4);
        }
        return rest;
    }

    /** The status of the first final response once it has fully arrived, else -1. */
    private static int completeFinalStatus(String raw) {
        String rest = skipInterim(raw);
        int end = rest.indexOf("\r\n\r\n");
        Matcher status = STATUS.matcher(rest);
        if (end < 0 || !status.find()) {
            return -1;
        }
        String head = rest.substring(0, end + 2);
        String body = rest.substring(end + 4);
        Matcher length = LENGTH.matcher(head);
        if (length.find()) {
            return body.length() >= Integer.parseInt(length.group(1)) ? Integer.parseInt(status.group(1)) : -1;
        }
        if (CHUNKED.matcher(head).find()) {
            return body.contains("0\r\n\r\n") ? Integer.parseInt(status.group(1)) : -1;
        }
        return head.toLowerCase(Locale.ROOT).startsWith("http/1.1 204") ? 204 : -1;
    }
}
