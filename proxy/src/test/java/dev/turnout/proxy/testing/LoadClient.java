package dev.turnout.proxy.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous load through the proxy from a few client threads, counting every answer: which
 * backend served it, and every failure (non-200 or I/O error) with its reason.
 */
public final class LoadClient implements AutoCloseable {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final Map<String, AtomicLong> byBackend = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    public LoadClient(URI target, int concurrency) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).GET().build();
        for (int i = 0; i < concurrency; i++) {
            Thread t = new Thread(() -> {
                while (running.get()) {
                    sent.incrementAndGet();
                    try {
                        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == 200) {
                            byBackend.computeIfAbsent(response.body(), k -> new AtomicLong()).incrementAndGet();
                        } else {
                            failures.add(response.statusCode() + " " + response.body().trim());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    } catch (IOException e) {
                        failures.add(e.toString());
                    }
                }
            }, "load-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    public long sent() {
        return sent.get();
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
