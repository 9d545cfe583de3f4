package dev.turnout.proxy.testing;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous GET load through the proxy over keep-alive connections, one per client thread,
 * counting every answer: which backend served it, and every failure with its reason.
 *
 * <p>Raw sockets, not {@code java.net.http}, whose client silently sends a GET again when a
 * kept-alive connection closes under it. Here that counts as a failure ("a client would have to
 * resend"), so a test sees every request the proxy did not answer. A connection is opened again
 * only after an answer that said {@code Connection: close}, or after a failure.
 */
public final class LoadClient implements AutoCloseable {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final Map<String, AtomicLong> byBackend = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    /** @param target an {@code http://127.0.0.1:PORT/path} URI */
    public LoadClient(URI target, int concurrency) {
        int port = target.getPort();
        String path = target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + target.getHost() + ":" + port + "\r\n\r\n";
        for (int i = 0; i < concurrency; i++) {
            Thread t = new Thread(() -> run(port, request), "load-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    private void run(int port, String request) {
        RawClient connection = null;
        boolean reused = false;
        while (running.get()) {
            sent.incrementAndGet();
            try {
                if (connection == null) {
                    connection = RawClient.connect(port);
                    connections.incrementAndGet();
                    reused = false;
                }
                RawResponse response = connection.send(request).readResponse();
                reused = true;
                if (response.truncated()) {
                    failures.add(response.status() + " cut short");
                } else if (response.status() == 200) {
                    byBackend.computeIfAbsent(response.bodyText(), k -> new AtomicLong()).incrementAndGet();
                } else {
                    failures.add(response.status() + " " + response.bodyText().trim());
                }
                if (response.closes() || response.truncated()) {
                    connection = closeQuietly(connection);
                }
            } catch (IOException e) {
                failures.add((reused ? "kept-alive connection closed before the answer (a client would resend): " : "") + e);
                connection = closeQuietly(connection);
            }
        }
        closeQuietly(connection);
    }

    private static RawClient closeQuietly(RawClient connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        return null;
    }

    public long sent() {
        return sent.get();
    }

    /** Connections opened so far: one per client thread while every answer keeps its connection alive. */
    public long connections() {
        return connections.get();
    }

    public long servedBy(String backend) {
        AtomicLong n = byBackend.get(backend);
        return n == null ? 0 : n.get();
    }

    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** Stops sending and waits for the requests in flight. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(15_000);
        }
    }
}
