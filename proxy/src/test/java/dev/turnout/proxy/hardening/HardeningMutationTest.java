package dev.turnout.proxy.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.TestProxy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A bounded random-mutation run: five valid requests (GETs, a Content-Length POST, a chunked POST,
 * a PUT) get random byte mutations (a bit flipped, CR/LF/CRLF/NUL/SP/HTAB/colon inserted, bytes
 * deleted or replaced, a header line duplicated) from a fixed seed, each sent on a fresh
 * connection. Every {@value #CHECK_EVERY} iterations, and at the end, a normal GET on a new
 * connection must still succeed; every request the backend received must be well formed (checked
 * on the wire by {@link StrictBackend}); nothing may be logged at WARN or above.
 *
 * <p>The run happens once, before the tests, which judge its results separately.
 */
class HardeningMutationTest {

    private static final org.slf4j.Logger LOAD_LOG = LoggerFactory.getLogger("turnout.test.load");
    private static final long SEED = 0x7475726e6f7574L;
    private static final int ITERATIONS = 2000;
    private static final int CHECK_EVERY = 100;
    private static final int WORKERS = 16;
    /** A bound on the whole run, whatever the machine: iterations stop there (and the count says so). */
    private static final Duration BUDGET = Duration.ofSeconds(25);
    private static final Duration ANSWER_WAIT = Duration.ofMillis(250);
    private static final String[] VALID = {
        "GET /m/get?q=1 HTTP/1.1\r\nHost: a.test\r\nUser-Agent: mutation/1\r\nAccept: */*\r\n\r\n",
        "GET /m/keep HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive\r\nCookie: a=b; c=d\r\nX-Trace: abc\r\n\r\n",
        "POST /m/post HTTP/1.1\r\nHost: a.test\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
        "POST /m/chunked HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "PUT /m/put HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\nAccept-Encoding: gzip\r\n\r\nbody",
    };
    private static final byte[] INSERTS = {'\r', '\n', 0, ' ', '\t', ':'};

    private static final Map<String, AtomicInteger> OUTCOMES = new ConcurrentHashMap<>();
    private static final List<String> HEALTH_FAILURES = new ArrayList<>();
    private static final ConcurrentLinkedQueue<String> WARNINGS = new ConcurrentLinkedQueue<>();
    private static StrictBackend backend;
    private static Turnout proxy;
    private static int iterations;
    private static long millis;

    @BeforeAll
    static void run() throws Exception {
        backend = StrictBackend.start();
        proxy = TestProxy.start(backend.singlePool());
        Capture capture = Capture.install(WARNINGS);
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        long start = System.nanoTime();
        long deadline = start + BUDGET.toNanos();
        try {
            for (int batch = 0; batch < ITERATIONS && System.nanoTime() < deadline; batch += CHECK_EVERY) {
                List<Future<?>> running = new ArrayList<>();
                for (int i = batch; i < batch + CHECK_EVERY; i++) {
                    int iteration = i;
                    running.add(workers.submit(() -> {
                        String outcome = send(mutate(iteration));
                        OUTCOMES.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
                        return null;
                    }));
                }
                for (Future<?> f : running) {
                    f.get();
                }
                iterations = batch + CHECK_EVERY;
                healthCheck("after " + iterations + " iterations");
            }
        } finally {
            workers.shutdownNow();
            millis = (System.nanoTime() - start) / 1_000_000;
            healthCheck("at the end");
            capture.remove();
        }
        LOAD_LOG.info("request mutation: {} iterations in {} ms (seed {}), {} requests reached the backend; outcomes {}",
                iterations, millis, SEED, backend.exchanges().size(), new TreeMap<>(OUTCOMES));
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
    void theProxyKeepsAnsweringNormalRequests() {
        assertEquals(List.of(), HEALTH_FAILURES);
        assertTrue(iterations >= ITERATIONS / 2, "only " + iterations + " iterations in " + millis + " ms");
    }

    @Test
    void nothingIsLoggedAtWarnOrAbove() {
        assertEquals(List.of(), List.copyOf(WARNINGS));
    }

    @Test
    void everyRequestTheBackendReceivedIsWellFormed() {
        List<String> malformed = backend.malformed();
        assertTrue(malformed.isEmpty(), malformed.size() + " malformed requests reached the backend, e.g.:\n"
                + String.join("\n", malformed.subList(0, Math.min(50, malformed.size()))));
    }

    // ---- the run -------------------------------------------------------------------------------

    /** The mutated bytes of iteration {@code i}: a function of the seed and {@code i} only. */
    static byte[] mutate(int i) {
        Random random = new Random(SEED * 31 + i);
        byte[] bytes = VALID[i % VALID.length].getBytes(StandardCharsets.ISO_8859_1);
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            bytes = mutateOnce(bytes, random);
        }
        return bytes;
    }

    /** One random mutation of {@code in}: a bit flipped, a byte inserted, replaced or deleted, a CRLF added, a line doubled. */
    static byte[] mutateOnce(byte[] in, Random random) {
        int at = random.nextInt(in.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 64);
        switch (random.nextInt(6)) {
            case 0 -> {
                byte[] copy = in.clone();
                copy[at] ^= (byte) (1 << random.nextInt(8));
                return copy;
            }
            case 1 -> {
                out.write(in, 0, at);
                out.write(INSERTS[random.nextInt(INSERTS.length)]);
                out.write(in, at, in.length - at);
            }
            case 2 -> {
                out.write(in, 0, at);
                out.write('\r');
                out.write('\n');
                out.write(in, at, in.length - at);
            }
            case 3 -> {
                int n = Math.min(1 + random.nextInt(4), in.length - at);
                out.write(in, 0, at);
                out.write(in, at + n, in.length - at - n);
            }
            case 4 -> {
                byte[] copy = in.clone();
                copy[at] = (byte) random.nextInt(256);
                return copy;
            }
            default -> {
                return duplicateHeaderLine(in, random);
            }
        }
        return out.toByteArray();
    }

    private static byte[] duplicateHeaderLine(byte[] in, Random random) {
        String text = new String(in, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        int firstLine = text.indexOf("\r\n");
        if (headEnd < 0 || firstLine < 0 || firstLine >= headEnd) {
            return in;
        }
        String[] lines = text.substring(firstLine + 2, headEnd + 2).split("(?<=\r\n)");
        String line = lines[random.nextInt(lines.length)];
        int lineAt = text.indexOf(line, firstLine + 2);
        String result = text.substring(0, lineAt) + line + text.substring(lineAt);
        return result.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Sends on a fresh connection; waits briefly for an answer; returns what happened, for the log. */
    private static String send(byte[] request) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.address().getPort()), 2000);
            socket.setSoTimeout((int) ANSWER_WAIT.toMillis());
            try {
                socket.getOutputStream().write(request);
            } catch (SocketException e) {
                return "closed while sending";
            }
            InputStream in = socket.getInputStream();
            byte[] status = new byte[12];
            int n = 0;
            while (n < status.length) {
                int r = in.read(status, n, status.length - n);
                if (r < 0) {
                    return n == 0 ? "closed without answer" : "closed mid status line";
                }
                n += r;
            }
            return new String(status, 9, 3, StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
            return "no answer in " + ANSWER_WAIT.toMillis() + " ms";
        } catch (IOException e) {
            return "reset";
        }
    }

    private static void healthCheck(String when) {
        try {
            Wire.Result r = Wire.exchange(proxy.address(),
                    "GET /health HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
            if (r.status() != 200 || !r.body().equals("saw /health")) {
                synchronized (HEALTH_FAILURES) {
                    HEALTH_FAILURES.add(when + ": " + r);
                }
            }
        } catch (IOException e) {
            synchronized (HEALTH_FAILURES) {
                HEALTH_FAILURES.add(when + ": " + e);
            }
        }
    }

    /** Collects WARN and ERROR events of every logger but the tests' own, during the run. */
    static final class Capture extends AppenderBase<ILoggingEvent> {

        private final ConcurrentLinkedQueue<String> into;

        private Capture(ConcurrentLinkedQueue<String> into) {
            this.into = into;
        }

        static Capture install(ConcurrentLinkedQueue<String> into) {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            Capture capture = new Capture(into);
            capture.setContext(context);
            capture.setName("mutation-warnings");
            capture.start();
            context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(capture);
            return capture;
        }

        void remove() {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(this);
            stop();
        }

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN) && !event.getLoggerName().startsWith("turnout.test")) {
                into.add(event.getLevel() + " " + event.getLoggerName() + ": " + event.getFormattedMessage()
                        + (event.getThrowableProxy() == null ? "" : " " + event.getThrowableProxy().getClassName()));
            }
        }
    }
}
