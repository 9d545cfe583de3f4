package dev.turnout.bench.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Moves a route's split over the admin API while keep-alive load runs on it, and counts which pool
 * answered each request (the backends name their pool in {@code X-Pool}). One extra user walks the
 * canary share through {@code canary.steps} ({@code PUT /api/v1/routes/{route}/split}), starting a
 * step every {@code duration / steps}; the load starts once the first step is in force. Each answer
 * is counted under the split that was in force when its request was sent; requests sent while a PUT
 * was in flight are counted apart, since either split may have served them. Passes only with no
 * failed request, PUTs included: a split change must not cost a single request. The last step
 * should hand all traffic back to the stable pool; the route keeps whatever split the run ends with.
 *
 * <pre>mvn -B -pl benchmarks -am gatling:test -Dgatling.simulationClass=dev.turnout.bench.gatling.CanarySplitSimulation \
 *     -Dtarget.url=http://127.0.0.1:8080 -Dadmin.url=http://127.0.0.1:9090 -Droute=web -Dpath=/ \
 *     -Dstable.pool=stable -Dcanary.pool=canary -Dcanary.steps=0,10,50,90,0 -Dusers=16 -Dduration=20</pre>
 *
 * <p>{@code -Dadmin.token=...} sends {@code Authorization: Bearer ...} when the admin API wants one.
 */
public class CanarySplitSimulation extends Simulation {

    private static final int SWITCHING = -1;

    private final String targetUrl = SimulationSettings.url("target.url", "http://127.0.0.1:8080");
    private final String adminUrl = SimulationSettings.url("admin.url", "http://127.0.0.1:9090");
    private final String adminToken = SimulationSettings.text("admin.token", "");
    private final String route = SimulationSettings.text("route", "web");
    private final String path = SimulationSettings.text("path", "/");
    private final String stablePool = SimulationSettings.text("stable.pool", "stable");
    private final String canaryPool = SimulationSettings.text("canary.pool", "canary");
    private final int[] canarySteps = Arrays.stream(SimulationSettings.text("canary.steps", "0,10,50,90,0").split(","))
            .mapToInt(step -> Integer.parseInt(step.trim())).toArray();
    private final int users = SimulationSettings.integer("users", 16);
    private final Duration duration = SimulationSettings.seconds("duration", 20);

    /** Answers per step of canary.steps, by the pool that gave them. */
    private final List<Tally> tallies = new ArrayList<>();
    private final Tally whileSwitching = new Tally("during a PUT (or after a refused one)");
    /** Index into tallies of the split in force, or SWITCHING. */
    private volatile int currentStep = SWITCHING;
    private volatile boolean firstPutAnswered;

    public CanarySplitSimulation() {
        for (int step = 0; step < canarySteps.length; step++) {
            tallies.add(new Tally("step " + (step + 1) + ", " + stablePool + " " + (100 - canarySteps[step]) + " / "
                    + canaryPool + " " + canarySteps[step]));
        }
        HttpProtocolBuilder traffic = http.baseUrl(targetUrl)
                .acceptHeader("*/*")
                .userAgentHeader("turnout-gatling")
                // No request to gatling.io before the run, and no client-side cache standing in for the proxy.
                .disableWarmUp()
                .disableCaching();
        HttpProtocolBuilder admin = http.baseUrl(adminUrl).disableWarmUp().disableCaching();
        if (!adminToken.isEmpty()) {
            admin = admin.authorizationHeader("Bearer " + adminToken);
        }

        // The load waits for the first split to be in force: the admin API's first answer is slow
        // (cold classes), and what was served before it says nothing about any step.
        ScenarioBuilder load = scenario("GETs on route " + route)
                .asLongAs(session -> !firstPutAnswered).on(pause(Duration.ofMillis(10)))
                .during(duration).on(exec(session -> session.set("step", currentStep))
                        .exec(http("GET " + path).get(path).check(status().is(200), header("X-Pool").saveAs("pool")))
                        .exec(this::countAnswer));

        // The first step is applied before the load starts. The others follow at fixed times after it, by pace,
        // not pause: a step starts every stepLength however long its PUT took, so the steps stay equal.
        Duration stepLength = duration.dividedBy(canarySteps.length);
        ChainBuilder applyStep = exec(session -> {
            currentStep = SWITCHING;
            return session;
        }).exec(http("PUT split").put("/api/v1/routes/" + route + "/split")
                .header("Content-Type", "application/json")
                .body(StringBody(session -> splitJson(canarySteps[session.getInt("step")])))
                .check(status().is(200)))
                .exec(session -> {
                    // A refused PUT leaves its answers counted apart; the run fails on its KO anyway.
                    if (!session.isFailed()) {
                        currentStep = session.getInt("step");
                    }
                    firstPutAnswered = true;
                    return session;
                });
        // "step" is removed before the loop: repeat would carry on counting from an existing value.
        ChainBuilder moves = exec(session -> session.set("step", 0)).exec(applyStep).exec(session -> session.remove("step"))
                .repeat(canarySteps.length, "step").on(pace(stepLength)
                        .doIf(session -> session.getInt("step") > 0).then(applyStep));

        setUp(load.injectOpen(atOnceUsers(users)).protocols(traffic),
                scenario("split mover").exec(moves).injectOpen(atOnceUsers(1)).protocols(admin))
                .maxDuration(duration.plusSeconds(30))
                .assertions(global().failedRequests().count().is(0L));
    }

    private String splitJson(int canaryPercent) {
        return "{\"" + stablePool + "\":" + (100 - canaryPercent) + ",\"" + canaryPool + "\":" + canaryPercent + "}";
    }

    private Session countAnswer(Session session) {
        int step = session.getInt("step");
        Tally tally = step == SWITCHING ? whileSwitching : tallies.get(step);
        String pool = session.getString("pool");
        if (pool == null) {
            tally.unanswered.increment();
        } else {
            tally.byPool.computeIfAbsent(pool, name -> new LongAdder()).increment();
        }
        return session.remove("pool");
    }

    @Override
    @SuppressWarnings("checkstyle:regexp") // the shares per pool are this simulation's result
    public void after() {
        System.out.println();
        System.out.println("Canary split on route " + route + ": " + users + " users for " + duration.toSeconds()
                + " s, answers by the pool that gave them, per split in force:");
        for (Tally tally : tallies) {
            System.out.println(tally.describe(stablePool, canaryPool));
        }
        System.out.println(whileSwitching.describe(stablePool, canaryPool));
        long unanswered = whileSwitching.unanswered.sum() + tallies.stream().mapToLong(tally -> tally.unanswered.sum()).sum();
        System.out.println("  failed (no answer with X-Pool): " + unanswered);
        System.out.println();
    }

    /** Answers counted under one split. */
    private static final class Tally {

        final String label;
        final Map<String, LongAdder> byPool = new ConcurrentHashMap<>();
        final LongAdder unanswered = new LongAdder();

        Tally(String label) {
            this.label = label;
        }

        String describe(String stablePool, String canaryPool) {
            long stable = count(stablePool);
            long canary = count(canaryPool);
            long total = byPool.values().stream().mapToLong(LongAdder::sum).sum();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-38s %,9d answers: %s %,d (%s), %s %,d (%s)",
                    label, total, stablePool, stable, SimulationSettings.percent(stable, total), canaryPool, canary,
                    SimulationSettings.percent(canary, total)));
            long elsewhere = total - stable - canary;
            if (elsewhere > 0) {
                line.append(String.format(Locale.ROOT, ", other pools %,d", elsewhere));
            }
            return line.toString();
        }

        private long count(String pool) {
            LongAdder adder = byPool.get(pool);
            return adder == null ? 0 : adder.sum();
        }
    }
}
