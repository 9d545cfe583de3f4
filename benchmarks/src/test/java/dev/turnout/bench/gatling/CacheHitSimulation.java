package dev.turnout.bench.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Turnout's cache under keep-alive load: {@code urls} distinct cacheable URLs (the backend answers
 * them with {@code Cache-Control: max-age}) are fetched once each by a single user, then
 * {@code users} users GET them at random for {@code duration} seconds. Every one of those later
 * answers should say {@code X-Cache: HIT}; one that does not is a failed request. Passes when the
 * first fetches all succeed and at least {@code hit.min-percent} of the later GETs are hits.
 * Prints the X-Cache values seen and the hit ratio.
 *
 * <pre>mvn -B -pl benchmarks -am gatling:test -Dgatling.simulationClass=dev.turnout.bench.gatling.CacheHitSimulation \
 *     -Dtarget.url=http://127.0.0.1:8080 -Dpath.prefix=/cached/item- -Durls=50 -Dusers=16 -Dduration=20</pre>
 */
public class CacheHitSimulation extends Simulation {

    private static final String FIRST_FETCH = "first fetch";
    private static final String CACHED_GET = "cached GET";

    private final String targetUrl = SimulationSettings.url("target.url", "http://127.0.0.1:8080");
    private final String pathPrefix = SimulationSettings.text("path.prefix", "/cached/item-");
    private final int urls = SimulationSettings.integer("urls", 50);
    private final int users = SimulationSettings.integer("users", 16);
    private final Duration duration = SimulationSettings.seconds("duration", 20);
    private final int minHitPercent = SimulationSettings.integer("hit.min-percent", 99);

    /** X-Cache values of the first fetches and of the GETs after them ("none" when absent). */
    private final Map<String, LongAdder> firstFetches = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> laterGets = new ConcurrentHashMap<>();

    public CacheHitSimulation() {
        HttpProtocolBuilder protocol = http.baseUrl(targetUrl)
                .acceptHeader("*/*")
                .userAgentHeader("turnout-gatling")
                // No request to gatling.io before the run, and above all no client-side cache: Gatling
                // honours max-age itself and would answer the repeats without asking the proxy.
                .disableWarmUp()
                .disableCaching();

        ScenarioBuilder fill = scenario("first fetch of each URL")
                .repeat(urls, "item").on(exec(http(FIRST_FETCH).get(pathPrefix + "#{item}")
                        .check(status().is(200), header("X-Cache").saveAs("xcache")))
                        .exec(session -> count(session, firstFetches)));

        ScenarioBuilder load = scenario("cached GETs")
                .during(duration).on(exec(session -> session.set("item", ThreadLocalRandom.current().nextInt(urls)))
                        .exec(http(CACHED_GET).get(pathPrefix + "#{item}")
                                .check(status().is(200), header("X-Cache").saveAs("xcache"), header("X-Cache").is("HIT")))
                        .exec(session -> count(session, laterGets)));

        setUp(fill.injectOpen(atOnceUsers(1)).andThen(load.injectOpen(atOnceUsers(users))))
                .protocols(protocol)
                .maxDuration(duration.plusSeconds(60))
                .assertions(details(FIRST_FETCH).failedRequests().count().is(0L),
                        details(CACHED_GET).failedRequests().percent().lte(100.0 - minHitPercent));
    }

    private static Session count(Session session, Map<String, LongAdder> byValue) {
        String value = session.getString("xcache");
        byValue.computeIfAbsent(value == null ? "none" : value, key -> new LongAdder()).increment();
        return session.remove("xcache");
    }

    @Override
    @SuppressWarnings("checkstyle:regexp") // the hit ratio is this simulation's result
    public void after() {
        long hits = sum(laterGets, "HIT");
        long later = sum(laterGets, null);
        long allHits = hits + sum(firstFetches, "HIT");
        long all = later + sum(firstFetches, null);
        System.out.println();
        System.out.println("Cache: " + urls + " URLs under " + pathPrefix + ", " + users + " users for "
                + duration.toSeconds() + " s");
        System.out.println("  X-Cache of the first fetches: " + firstFetches);
        System.out.println("  X-Cache of the " + later + " GETs after them: " + laterGets);
        System.out.println("  hit ratio after the first fetches: " + SimulationSettings.percent(hits, later)
                + " (at least " + minHitPercent + " % required); over all requests: " + SimulationSettings.percent(allHits, all));
        System.out.println();
    }

    /** The count for one value, or for all values when value is null. */
    private static long sum(Map<String, LongAdder> byValue, String value) {
        return byValue.entrySet().stream().filter(entry -> value == null || value.equals(entry.getKey()))
                .mapToLong(entry -> entry.getValue().sum()).sum();
    }
}
