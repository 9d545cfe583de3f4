package dev.turnout.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Opens N keep-alive connections to a proxy, sends one GET on each and reads its whole answer,
 * then holds them all open and idle until standard input closes: what an idle client connection
 * costs a proxy is then its RSS divided by N.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.turnout.bench.IdleConnections 127.0.0.1 8080 10000 /1k
 * </pre>
 *
 * <p>It prints "holding N connections" once every connection has had its answer, and fails
 * (exit 1) on any connection that is refused or answered with anything but a 2xx.
 */
@SuppressWarnings("checkstyle:regexp") // a command-line tool: standard output is its interface
public final class IdleConnections {

    private IdleConnections() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: IdleConnections HOST PORT COUNT PATH");
            System.exit(2);
        }
        InetSocketAddress address = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int count = Integer.parseInt(args[2]);
        byte[] request = ("GET " + args[3] + " HTTP/1.1\r\nHost: " + args[0] + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        List<Socket> held = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket();
            socket.connect(address, 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request);
            // Buffered for this one answer only: nothing follows it, so the buffer can go.
            int status = readAnswer(new BufferedInputStream(socket.getInputStream(), 4096));
            if (status < 200 || status > 299) {
                System.err.println("connection " + i + " was answered " + status);
                System.exit(1);
            }
            held.add(socket);
        }
        System.out.println(String.format(Locale.ROOT, "holding %d connections", held.size()));
        System.out.flush();
        // Held until whoever started this closes our standard input (or kills us).
        while (System.in.read() >= 0) {
            // discard
        }
        for (Socket socket : held) {
            socket.close();
        }
    }

    /** Reads one answer with a Content-Length body and returns its status code. */
    private static int readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the answer's head ended: " + head);
            }
            head.append((char) b);
        }
        String text = head.toString();
        int status = Integer.parseInt(text.substring(9, 12));
        long length = 0;
        for (String line : text.split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        for (long skipped = 0; skipped < length; skipped++) {
            if (in.read() < 0) {
                throw new IOException("connection closed inside the answer's body");
            }
        }
        return status;
    }
}
