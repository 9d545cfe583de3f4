package dev.turnout.bench.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;

/**
 * Constant keep-alive load through the proxy, as a closed model: {@code users} virtual users, each
 * on its own keep-alive connection, send their next GET as soon as the previous one is answered,
 * for {@code duration} seconds. Passes only with no failed request. Gatling's end-of-run summary
 * gives req/s, the percentiles and the KO count; the HTML report lands in
 * {@code benchmarks/target/gatling/}.
 *
 * <pre>mvn -B -pl benchmarks -am gatling:test -Dgatling.simulationClass=dev.turnout.bench.gatling.SteadyKeepAliveSimulation \
 *     -Dtarget.url=http://127.0.0.1:8080 -Dpath=/ -Dusers=16 -Dduration=20</pre>
 */
public class SteadyKeepAliveSimulation extends Simulation {

    private final String targetUrl = SimulationSettings.url("target.url", "http://127.0.0.1:8080");
    private final String path = SimulationSettings.text("path", "/");
    private final int users = SimulationSettings.integer("users", 16);
    private final Duration duration = SimulationSettings.seconds("duration", 20);

    private final HttpProtocolBuilder protocol = http.baseUrl(targetUrl)
            .acceptHeader("*/*")
            .userAgentHeader("turnout-gatling")
            // No request to gatling.io before the run, and no client-side cache standing in for the proxy.
            .disableWarmUp()
            .disableCaching();

    private final ScenarioBuilder keepAlive = scenario("keep-alive GETs")
            .during(duration).on(exec(http("GET " + path).get(path).check(status().is(200))));

    public SteadyKeepAliveSimulation() {
        setUp(keepAlive.injectOpen(atOnceUsers(users)))
                .protocols(protocol)
                .maxDuration(duration.plusSeconds(30))
                .assertions(global().failedRequests().count().is(0L));
    }
}
