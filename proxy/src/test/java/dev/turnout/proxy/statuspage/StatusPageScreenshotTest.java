package dev.turnout.proxy.statuspage;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.LoggerFactory;

/**
 * Not a check but the README's picture: the status page under load, first a canary rollout that its
 * errors roll back, then a rolling deploy of the stable pool, its three backends drained and enabled
 * again one by one from the page, photographed while the third is out.
 * Runs only when asked, with the file to write: {@code mvn -B verify -pl proxy -DskipITs
 * -Dtest=StatusPageScreenshotTest -Dstatus-page.screenshot=$PWD/docs/status-page.png}
 */
@EnabledIfSystemProperty(named = StatusPageScreenshotTest.OUTPUT, matches = ".+")
class StatusPageScreenshotTest {

    /** Not under "turnout.": Turnout reads system properties there as configuration, and refuses unknown keys. */
    static final String OUTPUT = "status-page.screenshot";
    private static final String TOKEN = "screenshot-Token";
    private static final List<String> STABLE = List.of("app1", "app2", "app3");
    /** Long enough out of rotation (or back in) for the chart to show each step. */
    private static final Duration STEP = Duration.ofSeconds(15);

    @Test
    void aRollingDeployUnderLoad(TestReporter report) throws Exception {
        AtomicLong canaryRequests = new AtomicLong();
        try (FakeBackend app1 = FakeBackend.start(Reply.ok("app1").delayed(Duration.ofMillis(2)));
                FakeBackend app2 = FakeBackend.start(Reply.ok("app2").delayed(Duration.ofMillis(3)));
                FakeBackend app3 = FakeBackend.start(Reply.ok("app3").delayed(Duration.ofMillis(2)));
                // The canary is a little slower and fails one request in 25: its rollout rolls back.
                FakeBackend c1 = FakeBackend.start(r -> !r.uri().equals("/health") && canaryRequests.incrementAndGet() % 25 == 0
                        ? Reply.status(500, "canary failed").delayed(Duration.ofMillis(5))
                        : Reply.ok("c1").delayed(Duration.ofMillis(5)));
                Turnout proxy = TestProxy.start(config(app1, app2, app3, c1));
                LoadClient load = new LoadClient(URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/"), 4);
                StatusPageBrowser page = StatusPageBrowser.open(
                        URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort() + "/"), 1440, 1000)) {
            page.type("#token-input", TOKEN);
            page.click("#token-submit");
            page.awaitShown("section.pool[data-pool=\"stable\"]");
            page.awaitBackendField("stable", "app1", "health", "up");

            String route = StatusPageBrowser.route("web");
            page.click(route + " details[data-role=\"rollout-form\"] summary");
            page.type(route + " [data-rollout=\"steps\"]", "10,50,100");
            page.type(route + " [data-rollout=\"interval\"]", "10s");
            page.type(route + " [data-rollout=\"min-requests\"]", "200");
            page.click(route + " button[data-action=\"start-rollout\"]");
            page.answerConfirmation("Start a rollout on route web", true);
            Await.until("the canary's errors to roll it back", Duration.ofSeconds(60),
                    () -> page.text(route + " [data-field=\"rollout-state\"]").equals("rolled-back"));
            pass(STEP);

            for (String id : STABLE) {
                page.clickBackendAction("stable", id, "drain");
                page.answerConfirmation("Drain stable/" + id, true);
                page.awaitBackendField("stable", id, "state", "drained");
                pass(STEP);
                if (id.equals("app3")) {
                    page.screenshot(Path.of(System.getProperty(OUTPUT)));
                    String seen = figures(page);
                    report.publishEntry("seen", seen);
                    LoggerFactory.getLogger("turnout.test.load").info("status page during the roll:\n{}", seen);
                }
                page.clickBackendAction("stable", id, "enable");
                page.answerConfirmation("Enable stable/" + id, true);
                page.awaitBackendField("stable", id, "state", "active");
                pass(STEP);
            }
            LoggerFactory.getLogger("turnout.test.load").info("rolling deploy under load: {} requests sent, {} failed "
                    + "(the canary's planted 500s among them)", load.sent(), load.failures().size());
        }
    }

    private static String config(FakeBackend app1, FakeBackend app2, FakeBackend app3, FakeBackend c1) {
        String checked = "health-check { path = \"/health\", interval = 1s }";
        return "admin { listen = \"127.0.0.1:0\", token = \"" + TOKEN + "\" }\n"
                + "timeouts.request = 30s\n"
                + "pools {\n"
                + "  stable { " + checked + ", backends = [ " + TestProxy.backend("app1", app1, 1) + ", "
                + TestProxy.backend("app2", app2, 1) + ", " + TestProxy.backend("app3", app3, 1) + " ] }\n"
                + "  canary { " + checked + ", backends = [ " + TestProxy.backend("c1", c1, 1) + " ] }\n"
                + "}\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { stable = 100, canary = 0 } } ]";
    }

    /** Lets the load run for a while, with the page refreshing meanwhile. */
    private static void pass(Duration time) {
        long end = System.nanoTime() + time.toNanos();
        Await.until(time.toSeconds() + " s of traffic", time.plusSeconds(5), () -> System.nanoTime() >= end);
    }

    /** The backend tables as the page shows them. */
    private static String figures(StatusPageBrowser page) {
        StringJoiner lines = new StringJoiner("\n");
        for (String[] member : new String[][] {{"stable", "app1"}, {"stable", "app2"}, {"stable", "app3"}, {"canary", "c1"}}) {
            StringJoiner line = new StringJoiner("  ", member[0] + "/" + member[1] + ": ", "");
            for (String field : List.of("state", "health", "weight", "inflight", "rate", "error-rate", "p95", "requests")) {
                line.add(field + "=" + page.backendField(member[0], member[1], field));
            }
            lines.add(line.toString());
        }
        lines.add("route web: split " + page.text(StatusPageBrowser.route("web") + " [data-field=\"split\"]") + ", rollout "
                + page.text(StatusPageBrowser.route("web") + " [data-field=\"rollout-state\"]") + " ("
                + page.text(StatusPageBrowser.route("web") + " [data-field=\"rollout-step\"]") + ")");
        lines.add("trail, newest first:\n" + page.text("tr.trail[data-trail=\"web\"] ol"));
        for (String pool : List.of("stable", "canary")) {
            String section = "section.pool[data-pool=\"" + pool + "\"] ";
            lines.add(pool + ": req/s=" + page.text(section + "[data-field=\"pool-rate\"]")
                    + "  5xx=" + page.text(section + "[data-field=\"pool-errors\"]")
                    + "  p95=" + page.text(section + "[data-field=\"pool-p95\"]"));
        }
        return lines.toString();
    }
}
