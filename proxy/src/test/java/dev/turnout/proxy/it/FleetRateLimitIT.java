package dev.turnout.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.EtcdServer;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rate limit shared over a fleet, in real time (so an IT, not in the unit suite): three Turnouts (the
 * shaded jar, one process each) on one etcd, a route limited to 50/s, and each instance sent 50 requests a
 * second from the same client. The fleet as a whole must let 50/s through (within 20 %) over 10 s; when one
 * instance dies, the other two must count two live instances within the lease time (when its lease runs out)
 * and let 50/s through between them. (An instance that stops cleanly revokes its lease as it exits.)
 */
class FleetRateLimitIT {

    private static final Logger LOAD = LoggerFactory.getLogger("turnout.test.load");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int RATE = 50;
    private static final Duration LEASE_TTL = Duration.ofSeconds(2);
    /** etcd revokes expired leases in a loop every 500 ms, and its watch then tells the others: a little slack. */
    private static final Duration EXPIRY_CHECK = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    @Test
    void theFleetAllowsTheConfiguredRateAndTheSurvivorsTakeUpALeaversShare() throws Exception {
        EtcdServer etcd = EtcdServer.start(dir);
        started.add(etcd);
        FakeBackend backend = FakeBackend.start();
        started.add(backend);
        List<TurnoutProcess> fleet = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            TurnoutProcess turnout = TurnoutProcess.start(dir, "turnout {\n"
                    + "  state-file = \"\"\n"
                    + "  pools { app { backends = [ { id = b0, address = \"" + backend.address() + "\" } ] } }\n"
                    + "  routes = [ { name = web, split { app = 100 }, rate-limit { rate = " + RATE + "/s } } ]\n"
                    + "  state { store = etcd, etcd { endpoints = [\"" + etcd.endpoint() + "\"], prefix = \"/turnout/limits\", "
                    + "instance = " + name + ", timeout = 1s, lease-ttl = " + LEASE_TTL.toSeconds() + "s } }\n"
                    + "}\n");
            started.add(turnout);
            fleet.add(turnout);
        }
        awaitFleetOf(fleet, 3);

        ScheduledExecutorService senders = Executors.newScheduledThreadPool(3);
        started.add(senders::shutdownNow);
        List<ConcurrentLinkedQueue<long[]>> answers = new ArrayList<>();
        for (TurnoutProcess turnout : fleet) {
            ConcurrentLinkedQueue<long[]> seen = new ConcurrentLinkedQueue<>();
            answers.add(seen);
            RawClient client = RawClient.connect(turnout.port());
            started.add(client);
            senders.scheduleAtFixedRate(() -> send(client, seen), 0, 1000 / RATE, TimeUnit.MILLISECONDS);
        }

        long from = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long to = from + TimeUnit.SECONDS.toNanos(10);
        Await.until("10 s of traffic", Duration.ofSeconds(20), () -> System.nanoTime() > to);
        long passedByThree = passed(answers, from, to);
        long offeredByThree = offered(answers, from, to);
        LOAD.info("fleet rate limit {}/s, three instances each offered {}/s: {} of {} passed in 10 s ({}/s)", RATE, RATE,
                passedByThree, offeredByThree, passedByThree / 10.0);
        assertTrue(offeredByThree >= 3 * RATE * 10 * 0.9, "the senders kept up: " + offeredByThree + " sent");
        assertInRange(passedByThree / 10.0, "three instances");

        // It dies (SIGKILL): nothing revokes its lease, which runs out lease-ttl after its last renewal.
        TurnoutProcess leaver = fleet.remove(2);
        long killed = System.nanoTime();
        leaver.process().destroyForcibly().waitFor();
        awaitFleetOf(fleet, 2);
        long tookMillis = (System.nanoTime() - killed) / 1_000_000;
        LOAD.info("the two left counted two instances {} ms after the third was killed (lease {})", tookMillis, LEASE_TTL);
        assertTrue(tookMillis <= LEASE_TTL.plus(EXPIRY_CHECK).toMillis(), "within the lease time: " + tookMillis + " ms");

        long again = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        long until = again + TimeUnit.SECONDS.toNanos(5);
        Await.until("5 s more traffic", Duration.ofSeconds(10), () -> System.nanoTime() > until);
        long passedByTwo = passed(answers.subList(0, 2), again, until);
        LOAD.info("after the third stopped, the two passed {} in 5 s ({}/s)", passedByTwo, passedByTwo / 5.0);
        assertInRange(passedByTwo / 5.0, "two instances");
    }

    /** Every instance counts {@code size} live instances: the fleet view the rate limits divide by. */
    private static void awaitFleetOf(List<TurnoutProcess> fleet, int size) {
        Await.until("every instance sees " + size + " instances", Duration.ofSeconds(20), () -> fleet.stream()
                .allMatch(t -> fleetSize(t) == size));
    }

    /** How many instances the backend view's {@code fleet} lists on this instance. */
    private static int fleetSize(TurnoutProcess turnout) {
        try {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + turnout.adminPort()
                    + "/api/v1/pools/app/backends/b0")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            JsonNode fleet = new ObjectMapper().readTree(body).path("fleet");
            return fleet.size();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
    private static void assertInRange(double perSecond, String who) {
        assertTrue(perSecond >= RATE * 0.8 && perSecond <= RATE * 1.2,
                who + " let " + perSecond + "/s through; the fleet's limit is " + RATE + "/s (within 20 %)");
    }

    /** One GET on the instance's keep-alive connection: its status and when its answer came. */
    private static void send(RawClient client, ConcurrentLinkedQueue<long[]> seen) {
        try {
            int status = client.get("a.test", "/").status();
            seen.add(new long[] {System.nanoTime(), status});
        } catch (IOException e) {
            seen.add(new long[] {System.nanoTime(), -1});
        }
    }

    private static long passed(List<ConcurrentLinkedQueue<long[]>> answers, long from, long to) {
        return answers.stream().flatMap(ConcurrentLinkedQueue::stream)
                .filter(a -> a[0] >= from && a[0] < to && a[1] == 200).count();
    }

    private static long offered(List<ConcurrentLinkedQueue<long[]>> answers, long from, long to) {
        long total = answers.stream().flatMap(ConcurrentLinkedQueue::stream).filter(a -> a[0] >= from && a[0] < to).count();
        answers.stream().flatMap(ConcurrentLinkedQueue::stream).filter(a -> a[1] != 200 && a[1] != 429).findFirst()
                .ifPresent(a -> assertEquals(200, a[1], "every answer is 200 or 429"));
        return total;
    }
}
