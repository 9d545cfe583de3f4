package dev.turnout.bench;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A backend crash under load, as an operator would stage it: Turnout's jar in its own process
 * with a configuration that sets nothing but three backends and a route (no health check, every
 * resilience key at its default), three application servers in processes of their own answering
 * after 5–50 ms, a paced GET load over keep-alive connections, and one backend SIGKILLed in the
 * middle. Each run prints the requests sent, those that failed (any answer but 200, and any
 * kept-alive connection closed before its answer, which a client would have to resend), the
 * requests in flight on the killed backend as Turnout counted them just before the kill, and
 * Turnout's retries by reason.
 *
 * <p>{@code java -cp benchmarks.jar dev.turnout.bench.CrashDrill TURNOUT_JAR [runs] [rate] [connections]
 * [seconds-before] [seconds-after]}; {@code --backend ID MIN MAX} is the backend process.
 */
@SuppressWarnings("checkstyle:regexp") // a command-line tool: standard output is its interface
public final class CrashDrill {

    private static final Pattern RETRIES = Pattern.compile("turnout_retries_total\\{[^}]*reason=\"([^\"]+)\"[^}]*} ([0-9.E]+)");
    private static final Pattern INFLIGHT = Pattern.compile("\"id\":\"app2\"[^}]*\"inflight\":(\\d+)");

    private CrashDrill() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--backend")) {
            backend(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            return;
        }
        Path jar = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 400;
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int before = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        int after = args.length > 5 ? Integer.parseInt(args[5]) : 10;
        System.out.printf(Locale.ROOT, "%d runs: %d req/s over %d keep-alive connections, app latency 5-50 ms, "
                + "app2 of 3 SIGKILLed after %d s, %d s more%n", runs, rate, connections, before, after);
        System.out.println("run  requests  failed  in-flight-at-kill  retries");
        int clean = 0;
        for (int run = 1; run <= runs; run++) {
            Result r = runOnce(jar, rate, connections, before, after);
            System.out.printf(Locale.ROOT, "%3d  %8d  %6d  %17d  %s%s%n", run, r.requests, r.failures.size(), r.inflightAtKill,
                    r.retries, r.failures.isEmpty() ? "" : "  " + r.failures.subList(0, Math.min(5, r.failures.size())));
            clean += r.failures.isEmpty() ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "%d of %d runs failed no request%n", clean, runs);
        System.exit(clean == runs ? 0 : 1);
    }

    private record Result(long requests, List<String> failures, int inflightAtKill, Map<String, Long> retries) {
    }

    private static Result runOnce(Path jar, int rate, int connections, int before, int after) throws Exception {
        List<Process> backends = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        Path dir = Files.createTempDirectory("crash-drill");
        Process turnout = null;
        try {
            for (int i = 1; i <= 3; i++) {
                Process p = java("-cp", Path.of(CrashDrill.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                        .toString(), CrashDrill.class.getName(), "--backend", "app" + i, "5", "50");
                backends.add(p);
                String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
                ports.add(Integer.parseInt(line.substring("listening ".length())));
            }
            int port = freePort();
            int admin = freePort();
            Path config = dir.resolve("turnout.conf");
            Files.writeString(config, """
                    turnout {
                      listen = "127.0.0.1:%d"
                      admin.listen = "127.0.0.1:%d"
                      state-file = ""
                      pools.stable.backends = [
                        { id = app1, address = "127.0.0.1:%d" }, { id = app2, address = "127.0.0.1:%d" },
                        { id = app3, address = "127.0.0.1:%d" } ]
                      routes = [ { name = web, split { stable = 100 } } ]
                    }
                    """.formatted(port, admin, ports.get(0), ports.get(1), ports.get(2)));
            turnout = java("-jar", jar.toString(), "--config", config.toString());
            drain(turnout.getInputStream());
            HttpClient http = HttpClient.newHttpClient();
            waitForAdmin(http, admin);

            Load load = new Load(port, rate, connections);
            Thread.sleep(TimeUnit.SECONDS.toMillis(before));
            int inflight = inflightOfApp2(http, admin);
            backends.get(1).destroyForcibly();
            backends.get(1).waitFor(10, TimeUnit.SECONDS);
            Thread.sleep(TimeUnit.SECONDS.toMillis(after));
            load.stop();
            return new Result(load.sent.get(), List.copyOf(load.failures), inflight, retries(http, admin));
        } finally {
            if (turnout != null) {
                turnout.destroy();
                turnout.waitFor(30, TimeUnit.SECONDS);
            }
            for (Process p : backends) {
                p.destroyForcibly();
            }
        }
    }

    /** Paced keep-alive GETs: each connection sends its share of the rate, one request at a time. */
    private static final class Load {
        final AtomicLong sent = new AtomicLong();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> threads = new ArrayList<>();

        Load(int port, int rate, int connections) {
            long intervalNanos = TimeUnit.SECONDS.toNanos(connections) / rate;
            byte[] request = ("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < connections; i++) {
                long offset = intervalNanos * i / connections;
                Thread t = new Thread(() -> run(port, request, intervalNanos, offset), "load-" + i);
                t.start();
                threads.add(t);
            }
        }

        void run(int port, byte[] request, long intervalNanos, long offset) {
            Socket socket = null;
            boolean reused = false;
            long next = System.nanoTime() + offset;
            while (running.get()) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                next += intervalNanos;
                sent.incrementAndGet();
                try {
                    if (socket == null) {
                        socket = new Socket("127.0.0.1", port);
                        socket.setTcpNoDelay(true);
                        socket.setSoTimeout(30_000);
                        reused = false;
                    }
                    socket.getOutputStream().write(request);
                    int[] answer = readAnswer(socket.getInputStream());
                    reused = true;
                    if (answer[0] != 200) {
                        failures.add(String.valueOf(answer[0]));
                    }
                    if (answer[1] == 1) {
                        socket.close();
                        socket = null;
                    }
                } catch (IOException e) {
                    failures.add((reused ? "kept-alive connection closed: " : "") + e.getMessage());
                    closeQuietly(socket);
                    socket = null;
                }
            }
            closeQuietly(socket);
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
    }

    /** Reads one answer with a Content-Length body: {status, 1 if it closes the connection}. */
    private static int[] readAnswer(InputStream in) throws IOException {
        String status = line(in);
        if (status == null) {
            throw new IOException("closed before an answer");
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        long length = 0;
        int closes = 0;
        for (String header = line(in); ; header = line(in)) {
            if (header == null) {
                throw new IOException("closed in the head");
            }
            if (header.isEmpty()) {
                break;
            }
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                closes = 1;
            }
        }
        for (long i = 0; i < length; i++) {
            if (in.read() < 0) {
                throw new IOException("closed in the body");
            }
        }
        return new int[] {code, closes};
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                return line.toString().strip();
            }
            line.append((char) b);
        }
        return line.length() == 0 ? null : line.toString();
    }

    private static void closeQuietly(Socket socket) {
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static Process java(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static void drain(InputStream out) {
        Thread t = new Thread(() -> {
            try {
                out.transferTo(OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void waitForAdmin(HttpClient http, int admin) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                if (get(http, admin, "/healthz").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("Turnout did not start");
    }

    private static HttpResponse<String> get(HttpClient http, int admin, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int inflightOfApp2(HttpClient http, int admin) throws IOException, InterruptedException {
        Matcher m = INFLIGHT.matcher(get(http, admin, "/api/v1/pools/stable/backends/app2").body());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static Map<String, Long> retries(HttpClient http, int admin) throws IOException, InterruptedException {
        Map<String, Long> byReason = new TreeMap<>();
        Matcher m = RETRIES.matcher(get(http, admin, "/metrics").body());
        while (m.find()) {
            byReason.put(m.group(1), (long) Double.parseDouble(m.group(2)));
        }
        return byReason;
    }

    /**
     * The backend process: answers its id after a latency drawn from [min, max] ms, on raw sockets,
     * each answer in one write, so that a kill lands between answers, never inside one.
     */
    private static void backend(String id, int min, int max) throws IOException {
        byte[] answer = ("HTTP/1.1 200 OK\r\nContent-Length: " + id.length() + "\r\n\r\n" + id)
                .getBytes(StandardCharsets.US_ASCII);
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        ExecutorService connections = Executors.newCachedThreadPool();
        System.out.println("listening " + server.getLocalPort());
        System.out.flush();
        while (true) {
            Socket socket = server.accept();
            connections.execute(() -> {
                try (socket; InputStream in = new BufferedInputStream(socket.getInputStream())) {
                    socket.setTcpNoDelay(true);
                    while (line(in) != null) {
                        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
                            continue; // GETs only: no body to skip
                        }
                        Thread.sleep(ThreadLocalRandom.current().nextInt(min, max + 1));
                        socket.getOutputStream().write(answer);
                    }
                } catch (IOException | InterruptedException closed) {
                    // the proxy closed the connection, or the process is going
                }
            });
        }
    }
}
