package dev.turnout.proxy.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.TestProxy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The answer side of {@link HardeningMutationTest}: a backend answers each request with one of a few
 * valid responses, mutated at random from a fixed seed (see {@link HardeningMutationTest#mutateOnce}),
 * and closes. Whatever it sent, the client must get either a 502 of the proxy's own, or a relay that
 * is well formed and made of what the backend sent: its status code, fields whose names and values it
 * sent, and body bytes it sent (cut short only by a close). Nothing may be logged at WARN or above, and
 * a normal request must still pass afterwards.
 *
 * <p>The run happens once, before the tests, which judge its results separately.
 */
class HardeningResponseMutationTest {

    private static final org.slf4j.Logger LOAD_LOG = LoggerFactory.getLogger("turnout.test.load");
    private static final long SEED = 0x726573706f6e7365L;
    private static final int ITERATIONS = 1200;
    private static final int WORKERS = 8;
    /** A bound on the whole run, whatever the machine: iterations stop there (and the count says so). */
    private static final Duration BUDGET = Duration.ofSeconds(25);
    private static final Duration ANSWER_WAIT = Duration.ofSeconds(5);
    private static final String[] VALID = {
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Trace: abc\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: no-store\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nSet-Cookie: a=b\r\n\r\nnot found",
        "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n",
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close",
    };
    /** Fields the proxy itself sets on a relayed answer: hop by hop, its framing towards the client, its cache's. */
    private static final Set<String> PROXY_FIELDS = Set.of("connection", "keep-alive", "transfer-encoding", "x-cache",
            "cache-status", "vary");
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) [\\t\\x20-\\x7e\\x80-\\xff]*");
    private static final Pattern FIELD_LINE =
            Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \\t]*([\\t\\x20-\\x7e\\x80-\\xff]*)");
    private static final Pattern OWN_502 = Pattern.compile("502 Bad Gateway: [a-z ,()]+\n");

    private static final Map<String, AtomicInteger> OUTCOMES = new ConcurrentHashMap<>();
    private static final ConcurrentLinkedQueue<String> WRONG = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<String> WARNINGS = new ConcurrentLinkedQueue<>();
    private static final List<String> HEALTH_FAILURES = new ArrayList<>();
    private static MutatingBackend backend;
    private static Turnout proxy;
    private static int iterations;
    private static long millis;

    @BeforeAll
    static void run() throws Exception {
        backend = new MutatingBackend();
        proxy = TestProxy.start("timeouts { connect = 500ms, request = 2s }\n"
                + "pools { app { backends = [ { id = b0, address = \"127.0.0.1:" + backend.port() + "\", weight = 1 } ] } }\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { app = 100 } } ]");
        HardeningMutationTest.Capture capture = HardeningMutationTest.Capture.install(WARNINGS);
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        long start = System.nanoTime();
        long deadline = start + BUDGET.toNanos();
        try {
            int batchSize = 100;
            for (int batch = 0; batch < ITERATIONS && System.nanoTime() < deadline; batch += batchSize) {
                List<Future<?>> running = new ArrayList<>();
                for (int i = batch; i < batch + batchSize; i++) {
                    int iteration = i;
                    running.add(workers.submit(() -> {
                        String outcome = judge(iteration, exchange("/r/" + iteration));
                        OUTCOMES.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
                        return null;
                    }));
                }
                for (Future<?> f : running) {
                    f.get();
                }
                iterations = batch + batchSize;
            }
        } finally {
            workers.shutdownNow();
            millis = (System.nanoTime() - start) / 1_000_000;
            healthCheck();
            capture.remove();
        }
        LOAD_LOG.info("response mutation: {} iterations in {} ms (seed {}); outcomes {}", iterations, millis, SEED,
                new TreeMap<>(OUTCOMES));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void everyAnswerIsAFaithfulRelayOrA502() {
        List<String> wrong = List.copyOf(WRONG);
        assertTrue(wrong.isEmpty(), wrong.size() + " answers were neither a faithful relay nor a 502, e.g.:\n"
                + String.join("\n", wrong.subList(0, Math.min(20, wrong.size()))));
        assertTrue(iterations >= ITERATIONS / 2, "only " + iterations + " iterations in " + millis + " ms");
        assertTrue(OUTCOMES.containsKey("relayed") && OUTCOMES.containsKey("502"), "both outcomes occur: " + OUTCOMES);
    }

    @Test
    void theProxyKeepsAnsweringNormalRequests() {
        assertEquals(List.of(), HEALTH_FAILURES);
    }

    @Test
    void nothingIsLoggedAtWarnOrAbove() {
        assertEquals(List.of(), List.copyOf(WARNINGS));
    }

    // ---- the run -------------------------------------------------------------------------------

    /** The backend's answer to iteration {@code i}: a function of the seed and {@code i} only. */
    static byte[] mutated(int i) {
        Random random = new Random(SEED * 31 + i);
        byte[] bytes = VALID[i % VALID.length].getBytes(StandardCharsets.ISO_8859_1);
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            bytes = HardeningMutationTest.mutateOnce(bytes, random);
        }
        return bytes;
    }

    /** Everything the proxy sent for {@code GET path} on a fresh connection, up to its close. */
    private static String exchange(String path) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.address().getPort()), 2000);
            socket.setSoTimeout((int) ANSWER_WAIT.toMillis());
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    got.write(buf, 0, n);
                }
            } catch (SocketTimeoutException e) {
                got.write("<still open>".getBytes(StandardCharsets.ISO_8859_1));
            } catch (IOException reset) {
                // a cut answer may end in a reset: what arrived before it is judged
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** "502", "relayed" or "cut" (the close came first); a wrong answer is recorded in {@link #WRONG} (and called "wrong"). */
    private static String judge(int i, String got) {
        String sent = new String(mutated(i), StandardCharsets.ISO_8859_1);
        String problem;
        String outcome;
        try {
            outcome = check(sent, got);
            problem = null;
        } catch (Wrong e) {
            outcome = "wrong";
            problem = e.getMessage();
        }
        if (problem != null) {
            WRONG.add("#" + i + " " + problem + "\n  backend sent: " + StrictBackend.escape(sent)
                    + "\n  client got:   " + StrictBackend.escape(got));
        }
        return outcome;
    }

    private static final class Wrong extends Exception {
        private static final long serialVersionUID = 1L;

        Wrong(String message) {
            super(message, null, false, false);
        }
    }

    private static String check(String sent, String got) throws Wrong {
        if (got.isEmpty()) {
            return "cut"; // an answer that broke after its head was taken: the client connection is reset
        }
        String lowerSent = sent.toLowerCase(Locale.ROOT);
        int at = 0;
        while (true) {
            int end = got.indexOf("\r\n\r\n", at);
            if (end < 0) {
                throw new Wrong("no complete head");
            }
            String[] lines = got.substring(at, end).split("\r\n", -1);
            Matcher status = STATUS_LINE.matcher(lines[0]);
            if (!status.matches()) {
                throw new Wrong("malformed status line: " + lines[0]);
            }
            String code = status.group(1);
            Map<String, List<String>> fields = new TreeMap<>();
            for (int l = 1; l < lines.length; l++) {
                Matcher field = FIELD_LINE.matcher(lines[l]);
                if (!field.matches()) {
                    throw new Wrong("malformed field line: " + lines[l]);
                }
                String name = field.group(1).toLowerCase(Locale.ROOT);
                fields.computeIfAbsent(name, k -> new ArrayList<>()).add(field.group(2).trim());
            }
            String body = got.substring(end + 4);
            if (code.equals("502") && OWN_502.matcher(body).lookingAt()) {
                return "502";
            }
            if (!Pattern.compile("http/1\\.\\d " + code).matcher(lowerSent).find()) {
                throw new Wrong("status " + code + " was not the backend's");
            }
            for (Map.Entry<String, List<String>> field : fields.entrySet()) {
                String name = field.getKey();
                if (PROXY_FIELDS.contains(name)) {
                    continue;
                }
                if (!lowerSent.contains("\n" + name)) {
                    throw new Wrong("field " + name + " was not the backend's");
                }
                for (String value : field.getValue()) {
                    for (String word : value.split("[ \\t]+")) {
                        if (!sent.contains(word)) {
                            throw new Wrong("field " + name + ": " + value + " was not the backend's");
                        }
                    }
                }
            }
            if (code.charAt(0) == '1') {
                at = end + 4; // an interim answer has no body: the next head follows
                continue;
            }
            return body(sent, fields, body, code);
        }
    }

    /** "relayed" when the body is complete by its framing, "cut" when the close came first; its bytes are the backend's. */
    private static String body(String sent, Map<String, List<String>> fields, String body, String code) throws Wrong {
        List<String> lengths = fields.get("content-length");
        boolean chunked = fields.containsKey("transfer-encoding");
        if (lengths != null && chunked) {
            throw new Wrong("both Content-Length and Transfer-Encoding relayed");
        }
        if (code.equals("204") || code.equals("304")) {
            if (!body.isEmpty()) {
                throw new Wrong("a body after a " + code);
            }
            return "relayed";
        }
        if (lengths != null) {
            if (lengths.size() != 1) {
                throw new Wrong("Content-Length relayed more than once");
            }
            int length;
            try {
                length = Integer.parseInt(lengths.get(0));
            } catch (NumberFormatException e) {
                throw new Wrong("Content-Length relayed as " + lengths.get(0));
            }
            if (body.length() > length || !sent.contains(body)) {
                throw new Wrong("body not the backend's, or longer than its length");
            }
            return body.length() == length ? "relayed" : "cut";
        }
        if (!chunked || !fields.get("transfer-encoding").equals(List.of("chunked"))) {
            throw new Wrong("no framing for the client");
        }
        int at = 0;
        while (true) {
            int lineEnd = body.indexOf("\r\n", at);
            if (lineEnd < 0) {
                return "cut";
            }
            int size;
            try {
                size = Integer.parseInt(body.substring(at, lineEnd), 16);
            } catch (NumberFormatException e) {
                throw new Wrong("malformed chunk size line");
            }
            if (size == 0) {
                int trailersEnd = body.indexOf("\r\n\r\n", lineEnd);
                if (trailersEnd < 0 && !body.startsWith("\r\n", lineEnd + 2)) {
                    return "cut";
                }
                return "relayed";
            }
            if (lineEnd + 2 + size + 2 > body.length()) {
                return "cut";
            }
            String data = body.substring(lineEnd + 2, lineEnd + 2 + size);
            if (!sent.contains(data) || !body.startsWith("\r\n", lineEnd + 2 + size)) {
                throw new Wrong("chunk not the backend's bytes, or not ended by CRLF");
            }
            at = lineEnd + 2 + size + 2;
        }
    }

    private static void healthCheck() {
        try {
            Wire.Result r = Wire.exchange(proxy.address(), "GET /health HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
            if (r.status() != 200 || !r.body().equals("fine")) {
                synchronized (HEALTH_FAILURES) {
                    HEALTH_FAILURES.add(r.toString());
                }
            }
        } catch (IOException e) {
            synchronized (HEALTH_FAILURES) {
                HEALTH_FAILURES.add(e.toString());
            }
        }
    }

    /** Reads a request head, answers {@code /r/<i>} with {@link #mutated}({@code i}) and anything else "fine", and closes. */
    private static final class MutatingBackend implements AutoCloseable {

        private final ServerSocket server = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mutating-backend");
            t.setDaemon(true);
            return t;
        });

        MutatingBackend() throws IOException {
            threads.execute(this::acceptLoop);
        }

        int port() {
            return server.getLocalPort();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    threads.execute(() -> answer(socket));
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void answer(Socket socket) {
            try (socket) {
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                int b;
                while ((b = in.read()) >= 0) {
                    head.write(b);
                    if (head.size() >= 4 && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                        break;
                    }
                }
                String target = head.toString(StandardCharsets.ISO_8859_1).split(" ", 3)[1];
                byte[] answer = target.startsWith("/r/") ? mutated(Integer.parseInt(target.substring(3)))
                        : "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine".getBytes(StandardCharsets.ISO_8859_1);
                OutputStream out = socket.getOutputStream();
                out.write(answer);
                out.flush();
                socket.shutdownOutput();
                while (in.read() >= 0) {
                    // until the proxy closes too: a close with unread bytes would reset the connection
                }
            } catch (IOException | RuntimeException e) {
                // the proxy may close first; nothing to answer then
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }
}
