package dev.turnout.proxy.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.turnout.proxy.config.DiscoveryConfig;
import dev.turnout.proxy.testing.Await;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class PoolDiscoveryTest {

    private static final DiscoveryConfig CONFIG = new DiscoveryConfig("app.test", DiscoveryConfig.Type.A, 8080,
            Duration.ofMillis(1));

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private final List<List<Endpoint>> announced = Collections.synchronizedList(new ArrayList<>());
    private final Map<PoolDiscovery.Result, AtomicInteger> counted = new EnumMap<>(PoolDiscovery.Result.class);
    private final AtomicLong clock = new AtomicLong();
    /** The lookups' outcomes in turn; once they are used up, lookups never end. */
    private final Queue<Supplier<CompletionStage<Resolution>>> script = new ArrayDeque<>();
    private final AtomicInteger lookups = new AtomicInteger();

    PoolDiscoveryTest() {
        for (PoolDiscovery.Result result : PoolDiscovery.Result.values()) {
            counted.put(result, new AtomicInteger());
        }
    }

    @AfterEach
    void stopExecutor() {
        executor.shutdownNow();
    }

    private PoolDiscovery discovery() {
        return new PoolDiscovery("app", CONFIG, config -> {
            lookups.incrementAndGet();
            Supplier<CompletionStage<Resolution>> next;
            synchronized (script) {
                next = script.poll();
            }
            return next == null ? new CompletableFuture<>() : next.get();
        }, executor, (pool, endpoints) -> announced.add(endpoints), result -> counted.get(result).incrementAndGet(), clock::get);
    }

    private void then(Supplier<CompletionStage<Resolution>> outcome) {
        synchronized (script) {
            script.add(outcome);
        }
    }

    private static Supplier<CompletionStage<Resolution>> answer(String... ips) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String ip : ips) {
            endpoints.add(new Endpoint(new InetSocketAddress(ip, 8080), 1));
        }
        return () -> CompletableFuture.completedFuture(new Resolution(endpoints, Duration.ofSeconds(60)));
    }

    private static Supplier<CompletionStage<Resolution>> failure() {
        return () -> CompletableFuture.failedFuture(new java.net.UnknownHostException("timed out"));
    }

    private static Resolution resolution(Duration ttl, int endpoints) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < endpoints; i++) {
            list.add(new Endpoint(new InetSocketAddress("10.0.0." + (i + 1), 80), 1));
        }
        return new Resolution(list, ttl);
    }

    private int count(PoolDiscovery.Result result) {
        return counted.get(result).get();
    }

    @Test
    void theNextLookupComesAtTheIntervalOrWhenTheTtlRunsOutButNotWithinASecond() {
        Duration interval = Duration.ofSeconds(5);
        assertEquals(interval, PoolDiscovery.nextLookupIn(interval, resolution(Duration.ofSeconds(60), 1)));
        assertEquals(Duration.ofSeconds(2), PoolDiscovery.nextLookupIn(interval, resolution(Duration.ofSeconds(2), 1)));
        assertEquals(Duration.ofSeconds(1), PoolDiscovery.nextLookupIn(interval, resolution(Duration.ZERO, 1)));
        assertEquals(interval, PoolDiscovery.nextLookupIn(interval, resolution(Duration.ZERO, 0)), "found nothing");
        assertEquals(interval, PoolDiscovery.nextLookupIn(interval, null), "failed");
        assertEquals(Duration.ofMillis(300), PoolDiscovery.nextLookupIn(Duration.ofMillis(300), resolution(Duration.ZERO, 1)));
    }

    @Test
    void onlyAnswersWithEndpointsGoOnAndEveryLookupIsCounted() throws Exception {
        then(answer("10.0.0.1"));
        then(failure());
        then(answer());
        then(() -> {
            throw new IllegalStateException("the resolver is closed");
        });
        then(answer("10.0.0.1", "10.0.0.2"));
        PoolDiscovery discovery = discovery();

        discovery.start();
        discovery.firstLookup().get(10, TimeUnit.SECONDS);
        Await.until("the script is played", () -> lookups.get() == 6);

        assertEquals(2, announced.size());
        assertEquals(List.of("10.0.0.1:8080", "10.0.0.2:8080"), announced.get(1).stream().map(Endpoint::id).toList());
        assertEquals(2, count(PoolDiscovery.Result.OK));
        assertEquals(1, count(PoolDiscovery.Result.EMPTY));
        assertEquals(2, count(PoolDiscovery.Result.FAILED));
    }

    @Test
    void troubleIsLoggedWhenItStartsThenOnceAMinuteAndItsEndOnce() {
        Logger logger = (Logger) LoggerFactory.getLogger(PoolDiscovery.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        Level level = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addAppender(lines);
        try {
            then(answer("10.0.0.1"));
            then(failure());
            then(failure());
            then(answer());
            then(() -> {
                clock.addAndGet(PoolDiscovery.LOG_EVERY.toNanos());
                return failure().get();
            });
            then(failure());
            then(answer("10.0.0.1"));
            discovery().start();
            Await.until("the script is played", () -> lookups.get() == 8);

            List<String> logged = lines.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
            assertEquals(3, logged.size(), String.join("\n", logged));
            assertEquals("WARN discovery of pool app: the lookup of app.test failed: timed out (1 in a row); the pool keeps "
                    + "the 1 addresses of the last answer", logged.get(0));
            assertTrue(logged.get(1).startsWith("WARN ") && logged.get(1).contains("(4 in a row)"), logged.get(1));
            assertEquals("INFO discovery of pool app: app.test answers again, after 5 lookups that did not", logged.get(2));
        } finally {
            logger.detachAppender(lines);
            logger.setLevel(level);
        }
    }

    @Test
    void aStoppedDiscoveryLooksNoMore() throws Exception {
        for (int i = 0; i < 1000; i++) {
            then(answer("10.0.0.1"));
        }
        PoolDiscovery discovery = discovery();
        discovery.start();
        Await.until("a few lookups", () -> lookups.get() >= 3);

        discovery.stop();
        int stoppedAt = lookups.get();
        // The executor runs tasks in the order they are due: lookups due every millisecond would come before this one.
        executor.schedule(() -> { }, 50, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);

        assertTrue(lookups.get() <= stoppedAt + 1, "at most the lookup under way when it stopped: " + lookups.get());
    }
}
