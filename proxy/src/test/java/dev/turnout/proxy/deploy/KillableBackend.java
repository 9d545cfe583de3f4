package dev.turnout.proxy.deploy;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * An application server in a process of its own, so that a test can SIGKILL it as a crash does:
 * the kernel, not the server, closes its sockets, with requests still in the middle of being
 * served. It answers its id after an application latency drawn between two bounds, and reports
 * each request that carries {@code X-Test-Id} on its standard output the moment it reads it.
 */
final class KillableBackend implements AutoCloseable {

    /** The header whose value the backend reports on receipt. */
    static final String TEST_ID = "X-Test-Id";

    private final String id;
    private final Process process;
    private final int port;
    private final Set<String> received = ConcurrentHashMap.newKeySet();
    private final Set<String> receivedTwice = ConcurrentHashMap.newKeySet();

    private KillableBackend(String id, Process process) throws IOException {
        this.id = id;
        this.process = process;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        if (first == null || !first.startsWith("listening ")) {
            process.destroyForcibly();
            throw new IOException("backend " + id + " did not start: " + first);
        }
        this.port = Integer.parseInt(first.substring("listening ".length()));
        Thread reader = new Thread(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("got ") && !received.add(line.substring(4))) {
                        receivedTwice.add(line.substring(4));
                    }
                }
            } catch (IOException ended) {
                // the process is gone
            }
        }, "backend-" + id + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a backend process answering after {@code minMillis} to {@code maxMillis}. */
    static KillableBackend start(String id, int minMillis, int maxMillis) throws IOException {
        Path classes;
        try {
            classes = Path.of(KillableBackend.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classes.toString(), KillableBackend.class.getName(), id, String.valueOf(minMillis),
                String.valueOf(maxMillis)))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        return new KillableBackend(id, process);
    }

    String id() {
        return id;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** SIGKILL: no chance to answer, close or clean up. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The test ids this backend read so far. */
    Set<String> received() {
        return Set.copyOf(received);
    }

    /** The test ids it read more than once. */
    Set<String> receivedTwice() {
        return Set.copyOf(receivedTwice);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    /**
     * The backend process: {@code id minMillis maxMillis}. A plain keep-alive HTTP/1.1 server on
     * raw sockets that writes each answer, head and body, in one write: a kill lands before an
     * answer or after it, never inside one (which no proxy could retry, as the client has its head).
     */
    public static void main(String[] args) throws IOException {
        String id = args[0];
        int min = Integer.parseInt(args[1]);
        int max = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        byte[] answer = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + id.length() + "\r\n\r\n" + id)
                .getBytes(StandardCharsets.US_ASCII);
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        ExecutorService connections = Executors.newCachedThreadPool();
        synchronized (out) {
            out.println("listening " + server.getLocalPort());
            out.flush();
        }
        while (true) {
            Socket socket = server.accept();
            connections.execute(() -> serve(socket, answer, out, min, max));
        }
    }

    private static void serve(Socket socket, byte[] answer, PrintStream out, int min, int max) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream());
                OutputStream reply = socket.getOutputStream()) {
            socket.setTcpNoDelay(true);
            while (true) {
                String testId = null;
                long length = 0;
                String line = readLine(in);
                if (line == null) {
                    return;
                }
                for (line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
                    int colon = line.indexOf(':');
                    String name = colon < 0 ? "" : line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                    String value = colon < 0 ? "" : line.substring(colon + 1).trim();
                    if (name.equals("content-length")) {
                        length = Long.parseLong(value);
                    } else if (name.equals(TEST_ID.toLowerCase(Locale.ROOT))) {
                        testId = value;
                    }
                }
                in.skipNBytes(length);
                if (testId != null) {
                    synchronized (out) {
                        out.println("got " + testId);
                        out.flush();
                    }
                }
                Thread.sleep(ThreadLocalRandom.current().nextInt(min, max + 1));
                reply.write(answer);
                reply.flush();
            }
        } catch (IOException | InterruptedException | RuntimeException closed) {
            // the proxy closed the connection, or the process is going
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                return line.toString().strip();
            }
            line.append((char) b);
        }
        return line.length() == 0 ? null : line.toString();
    }
}
