package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A backend SIGKILLed under load, with the default configuration (no health check): the requests
 * it held and the ones sent to it after it died are answered by the others, or, for a POST that
 * had reached it, answered 502 and never sent again.
 */
class CrashUnderLoadTest {

    private static final int CONNECTIONS = 32;
    // The held-out deploy harness's application latency.
    private static final int MIN_LATENCY_MILLIS = 5;
    private static final int MAX_LATENCY_MILLIS = 50;

    private KillableBackend app1;
    private KillableBackend app2;
    private KillableBackend app3;
    private Turnout turnout;

    /** Three backends and a Turnout in front of them with the default configuration. */
    @BeforeEach
    void start() throws Exception {
        app1 = KillableBackend.start("app1", MIN_LATENCY_MILLIS, MAX_LATENCY_MILLIS);
        app2 = KillableBackend.start("app2", MIN_LATENCY_MILLIS, MAX_LATENCY_MILLIS);
        app3 = KillableBackend.start("app3", MIN_LATENCY_MILLIS, MAX_LATENCY_MILLIS);
        List<String> list = new ArrayList<>();
        for (KillableBackend b : List.of(app1, app2, app3)) {
            list.add("{ id = " + b.id() + ", address = \"" + b.address() + "\" }");
        }
        turnout = Turnout.start(ConfigLoader.parse("""
                turnout {
                  listen = "127.0.0.1:0"
                  admin.listen = "127.0.0.1:0"
                  state-file = ""
                  pools.stable.backends = [ %s ]
                  routes = [ { name = web, split { stable = 100 } } ]
                }
                """.formatted(String.join(", ", list))));
    }

    @AfterEach
    void stop() throws Exception {
        turnout.close();
        for (KillableBackend b : List.of(app1, app2, app3)) {
            b.close();
        }
    }

    private static int inflight(Turnout turnout, String id) {
        return turnout.control().backend("stable", id).inflight();
    }

    /** Waits until {@code id} holds at least {@code atLeast} requests, kills it, and returns how many it held. */
    private static int killWhenBusy(Turnout turnout, KillableBackend victim, int atLeast) throws InterruptedException {
        int[] held = new int[1];
        Await.until(victim.id() + " to hold " + atLeast + " requests", Duration.ofSeconds(30), () -> {
            held[0] = inflight(turnout, victim.id());
            return held[0] >= atLeast;
        });
        victim.kill();
        return held[0];
    }

    private static String retries(Turnout turnout) {
        return AdminCalls.send(turnout, "GET", "/metrics", null).body().lines()
                .filter(line -> line.startsWith("turnout_retries_total{"))
                .map(line -> line.replaceAll(".*reason=\"([^\"]+)\".* ([0-9.]+)$", "$1=$2"))
                .collect(Collectors.joining(", "));
    }

    @Test
    void aBackendKilledUnderGetLoadCostsNoRequest() throws Exception {
        URI target = URI.create("http://127.0.0.1:" + turnout.address().getPort() + "/");
        try (LoadClient load = new LoadClient(target, CONNECTIONS)) {
            Await.until("load to run", Duration.ofSeconds(30), () -> load.servedBy("app2") > 200);
            int held = killWhenBusy(turnout, app2, 8);
            long sentAtKill = load.sent();
            Await.until("app2 to leave rotation", Duration.ofSeconds(30),
                    () -> turnout.control().backend("stable", "app2").ejected());
            // Answers app2 sent before it died may still have been on their way until now.
            long servedByApp2 = load.servedBy("app2");
            Await.until("load to go on", Duration.ofSeconds(30), () -> load.sent() > sentAtKill + 2000);
            load.close();

            LoggerFactory.getLogger("turnout.test.load").info("backend SIGKILLed with {} requests in flight on it, under"
                    + " {} keep-alive connections: {} requests sent, {} failed; retries: {}", held, CONNECTIONS,
                    load.sent(), load.failures().size(), retries(turnout));
            assertTrue(held >= 8, "in flight on the killed backend: " + held);
            assertEquals(List.of(), load.failures(), "failed requests around the crash (of " + load.sent() + ")");
            assertEquals(servedByApp2, load.servedBy("app2"), "no answer from app2 once it is dead");
            assertTrue(load.servedBy("app1") > 0 && load.servedBy("app3") > 0);
        }
    }

    @Test
    void postsThatReachedAKilledBackendAre502AndNeverRepeated() throws Exception {
        Map<String, Integer> statuses = new ConcurrentHashMap<>();
        List<String> errors = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ids = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CONNECTIONS / 2; c++) {
            Thread t = new Thread(() -> postUntilStopped(turnout.address().getPort(), running, ids, statuses, errors));
            t.start();
            clients.add(t);
        }
        Await.until("POSTs to run", Duration.ofSeconds(30), () -> app2.received().size() > 100);
        int held = killWhenBusy(turnout, app2, 4);
        int sentAtKill = ids.get();
        Await.until("POSTs to go on", Duration.ofSeconds(30), () -> ids.get() > sentAtKill + 1000);
        running.set(false);
        for (Thread t : clients) {
            t.join(30_000);
        }

        Set<String> reachedApp2 = app2.received();
        Map<Integer, Integer> byStatus = new HashMap<>();
        statuses.values().forEach(s -> byStatus.merge(s, 1, Integer::sum));
        Set<String> failed = statuses.entrySet().stream().filter(e -> e.getValue() != 200).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        LoggerFactory.getLogger("turnout.test.load").info("backend SIGKILLed with {} POSTs in flight on it: {} POSTs,"
                + " answers {}; retries: {}", held, statuses.size(), byStatus, retries(turnout));
        assertEquals(List.of(), errors, "every POST is answered");
        assertEquals(Set.of(200, 502), byStatus.keySet(), "answers " + byStatus);
        Set<String> seen = new HashSet<>();
        for (KillableBackend b : List.of(app1, app2, app3)) {
            assertEquals(Set.of(), b.receivedTwice(), b.id() + " got a POST twice");
            for (String id : b.received()) {
                assertTrue(seen.add(id), "POST " + id + " reached two backends");
            }
        }
        for (String id : failed) {
            assertTrue(!app1.received().contains(id) && !app3.received().contains(id),
                    "POST " + id + " answered 502 was sent again elsewhere");
        }
        assertTrue(failed.stream().anyMatch(reachedApp2::contains), "a POST that reached app2 is answered 502");
        statuses.forEach((id, status) -> {
            if (status == 200) {
                assertTrue(seen.contains(id), "POST " + id + " answered 200 reached a backend once");
            }
        });
    }

    private static void postUntilStopped(int port, AtomicBoolean running, AtomicInteger ids, Map<String, Integer> statuses,
            List<String> errors) {
        RawClient connection = null;
        try {
            while (running.get()) {
                String id = "p" + ids.incrementAndGet();
                if (connection == null) {
                    connection = RawClient.connect(port);
                }
                RawResponse response = connection.send("POST /orders HTTP/1.1\r\nHost: a.test\r\n" + KillableBackend.TEST_ID
                        + ": " + id + "\r\nContent-Length: 2\r\n\r\n{}").readResponse();
                statuses.put(id, response.status());
                if (response.closes()) {
                    connection.close();
                    connection = null;
                }
            }
        } catch (IOException e) {
            synchronized (errors) {
                errors.add(e.toString());
            }
        } finally {
            try {
                if (connection != null) {
                    connection.close();
                }
            } catch (IOException ignored) {
                // done
            }
        }
    }
}
