package dev.turnout.proxy.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.DiscoveryConfig;
import dev.turnout.proxy.testing.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DnsDiscoveryTest {

    private static final Duration HOUR = Duration.ofHours(1);

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    private final Map<String, List<Endpoint>> announced = new ConcurrentHashMap<>();
    /** Each lookup of a name answers with one address; "silent.test" never answers. */
    private final DnsDiscovery discovery = new DnsDiscovery(config -> {
        lookups.computeIfAbsent(config.name(), n -> new AtomicInteger()).incrementAndGet();
        if (config.name().equals("silent.test")) {
            return new CompletableFuture<>();
        }
        return CompletableFuture.completedFuture(new Resolution(
                List.of(new Endpoint(new InetSocketAddress("10.0.0.1", config.port()), 1)), Duration.ofSeconds(60)));
    }, executor, announced::put, registry);

    @AfterEach
    void stop() {
        discovery.close();
        executor.shutdownNow();
    }

    private static DiscoveryConfig a(String name, int port, Duration interval) {
        return new DiscoveryConfig(name, DiscoveryConfig.Type.A, port, interval);
    }

    private int lookupsOf(String name) {
        AtomicInteger n = lookups.get(name);
        return n == null ? 0 : n.get();
    }

    /** The registered lookup counters: pool to its results' counts. */
    private Map<String, Map<String, Double>> counters() {
        Map<String, Map<String, Double>> counters = new TreeMap<>();
        registry.find("turnout.discovery.lookups").functionCounters().forEach(c -> counters
                .computeIfAbsent(c.getId().getTag("pool"), p -> new TreeMap<>()).put(c.getId().getTag("result"), c.count()));
        return counters;
    }

    @Test
    void syncStartsStopsAndRestartsEachPoolOnItsOwn() throws Exception {
        discovery.sync(Map.of("web", a("web.test", 80, HOUR), "api", a("api.test", 81, HOUR)));
        assertTrue(discovery.awaitFirstLookups(Duration.ofSeconds(10)));
        assertEquals(2, discovery.pools());
        assertEquals(Map.of("web", "10.0.0.1:80", "api", "10.0.0.1:81"), Map.of(
                "web", announced.get("web").get(0).id(), "api", announced.get("api").get(0).id()));
        assertEquals(Map.of("api", Map.of("empty", 0.0, "failed", 0.0, "ok", 1.0),
                "web", Map.of("empty", 0.0, "failed", 0.0, "ok", 1.0)), counters());

        discovery.sync(Map.of("web", a("web.test", 80, HOUR)));
        assertEquals(1, discovery.pools());
        assertEquals(1, lookupsOf("web.test"), "unchanged: not restarted");
        assertEquals(List.of("web"), List.copyOf(counters().keySet()), "a stopped pool's series go");

        discovery.sync(Map.of("web", a("web.test", 80, Duration.ofMinutes(5))));
        Await.until("the changed pool looked up again", () -> lookupsOf("web.test") == 2);
        assertEquals(2.0, counters().get("web").get("ok"), "a restart keeps counting where it was");
    }

    @Test
    void thePoolsThatDiscoverAreThoseWithADiscoverySection() {
        Map<String, DiscoveryConfig> discoveries = DnsDiscovery.discoveries(ConfigLoader.parse("""
                turnout.pools {
                  listed { backends = [ { id = a, address = "127.0.0.1:9001" } ] }
                  found { discovery { dns = "found.test", port = 80 } }
                }
                """).pools());

        assertEquals(Map.of("found", new DiscoveryConfig("found.test", DiscoveryConfig.Type.A, 80, Duration.ofSeconds(5))),
                discoveries);
    }

    @Test
    void waitingForFirstLookupsEndsAtTheDeadlineWhenOneDoesNotAnswer() throws Exception {
        discovery.start("web", a("web.test", 80, HOUR));
        assertTrue(discovery.awaitFirstLookups(Duration.ofSeconds(10)));

        discovery.start("quiet", a("silent.test", 80, HOUR));
        assertFalse(discovery.awaitFirstLookups(Duration.ofMillis(50)));

        discovery.stop("quiet");
        assertTrue(discovery.awaitFirstLookups(Duration.ofSeconds(10)), "only running pools count");
    }
}
