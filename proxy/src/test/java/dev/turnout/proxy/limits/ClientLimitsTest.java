package dev.turnout.proxy.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The configurable limits on clients: header count, body size per route, read timeouts, connections. */
class ClientLimitsTest {

    private static String config(FakeBackend backend, String extra) {
        return "pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] } }\n"
                + "routes = [ { name = web, split { app = 100 }, max-body-size = 16 } ]\n" + extra;
    }

    /** A normal request still works: the limits cut the bad client, not the proxy. */
    private static void assertStillServes(Turnout proxy) throws Exception {
        try (RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("a.test", "/after").status());
        }
    }

    @Test
    void tooManyHeaderLinesAre431AndNeverReachTheBackend() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x"));
                Turnout proxy = TestProxy.start(config(backend, "limits.header-count = 5"));
                RawClient client = RawClient.connect(proxy.address())) {
            StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\nHost: a.test\r\n");
            for (int i = 0; i < 5; i++) {
                request.append("X-H").append(i).append(": v\r\n");
            }
            client.send(request.append("\r\n").toString());
            RawResponse answer = client.readResponse();
            assertEquals(431, answer.status());
            assertTrue(answer.closes(), answer.toString());
            assertStillServes(proxy);
            assertEquals(1, backend.requestCount(), "only the request after it arrived");
        }
    }

    @Test
    void aBodyOverTheRoutesLimitIs413WhetherDeclaredOrStreamed() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x"));
                Turnout proxy = TestProxy.start(config(backend, ""))) {
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send("POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 17\r\n\r\n" + "x".repeat(17));
                RawResponse declared = client.readResponse();
                assertEquals(413, declared.status());
                assertTrue(declared.closes());
            }
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send("POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");
                RawResponse streamed = client.readResponse();
                assertEquals(413, streamed.status());
                client.readUntilClosed();
            }
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send("POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 16\r\n\r\n" + "x".repeat(16));
                assertEquals(200, client.readResponse().status(), "at the limit is fine");
            }
            for (var request : backend.requests()) {
                assertTrue(request.body().length <= 16, "the backend never got a whole oversized body");
            }
        }
    }

    @Test
    void aSlowlorisHeadIsCutAtTheHeaderTimeoutWith408() throws Exception {
        ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x"));
                Turnout proxy = TestProxy.start(config(backend, "timeouts.header-read = 600ms"));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nHost: a.test\r\nX-Slow: ");
            // One byte every 100 ms: always busy, never done.
            ScheduledFuture<?> dripping = drip.scheduleAtFixedRate(() -> {
                try {
                    client.send("a");
                } catch (IOException closed) {
                    throw new IllegalStateException(closed);
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
            // Answered at the deadline, while it still drips (the linger then reads and drops the rest).
            assertEquals(408, client.readResponse().status());
            dripping.cancel(false);
            assertEquals(0, backend.requestCount());
            assertStillServes(proxy);
        } finally {
            drip.shutdownNow();
        }
    }

    @Test
    void aHeadThatStopsHalfwayGets408AndAStalledBodyToo() throws Exception {
        // The backend answers only once released, so the stalled body is still due when time runs out.
        CompletableFuture<Void> release = new CompletableFuture<>();
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x").after(release));
                Turnout proxy = TestProxy.start(config(backend, "timeouts { header-read = 500ms, body-read = 500ms }"))) {
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send("GET / HTTP/1.1\r\nHost: a.te");
                RawResponse answer = client.readResponse();
                assertEquals(408, answer.status());
                assertTrue(answer.closes());
            }
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send("POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\nabc");
                RawResponse answer = client.readResponse();
                assertEquals(408, answer.status());
                client.readUntilClosed();
            }
            release.complete(null);
            assertStillServes(proxy);
            for (var request : backend.requests()) {
                assertTrue(!request.method().equals("POST") || !request.complete(), "a stalled body never ends at the backend");
            }
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsNotCutByTheHeaderTimeout() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x"));
                Turnout proxy = TestProxy.start(config(backend, "timeouts.header-read = 300ms"));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals(200, client.get("a.test", "/1").status());
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(900);
            Await.until("three header timeouts to pass", Duration.ofSeconds(5), () -> System.nanoTime() > deadline);
            assertEquals(200, client.get("a.test", "/3").status(), "idle between requests is the idle timeout's business");
        }
    }

    @Test
    void clientsOverTheConnectionCapAreAnswered503AndTheRestServed() throws Exception {
        List<RawClient> held = new ArrayList<>();
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x"));
                Turnout proxy = TestProxy.start(config(backend, "limits.connections = 4"))) {
            for (int i = 0; i < 4; i++) {
                RawClient client = RawClient.connect(proxy.address());
                held.add(client);
                assertEquals(200, client.get("a.test", "/held" + i).status(), "each is accepted before the next");
            }
            try (RawClient refused = RawClient.connect(proxy.address())) {
                RawResponse answer = refused.readResponse();
                assertEquals(503, answer.status());
                assertTrue(answer.closes());
                assertTrue(answer.bodyText().contains("too many client connections"), answer.bodyText());
            }
            held.remove(0).close();
            Await.until("a slot to free up", Duration.ofSeconds(5), () -> {
                try (RawClient next = RawClient.connect(proxy.address())) {
                    return next.get("a.test", "/next").status() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
        } finally {
            for (RawClient client : held) {
                client.close();
            }
        }
    }
}
