package dev.turnout.proxy.statuspage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.TestProxy;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** Each route's rules and its rate-limit refusals on the status page (headless Chromium, as StatusPageBrowserTest). */
class StatusPagePolicyTest {

    @Test
    void eachRouteShowsItsRulesAndWhatItsRateLimitRefused() throws Exception {
        try (FakeBackend app = FakeBackend.start();
                Turnout proxy = TestProxy.start("pools { app { backends = [ " + TestProxy.backend("b0", app, 1) + " ] } }\n"
                        + "routes = [\n"
                        + "  { name = api, path-prefix = \"/api\", split { app = 100 }, deny = [\"192.0.2.0/24\"],\n"
                        + "    rate-limit { rate = 1/h, burst = 2 }, rewrite { strip-prefix = \"/api\" } }\n"
                        + "  { name = web, split { app = 100 } }\n"
                        + "]");
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 5; i++) {
                client.get("a.test", "/api/x");
            }
            URI admin = URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort() + "/");
            try (StatusPageBrowser page = StatusPageBrowser.open(admin, 1400, 1000)) {
                String api = StatusPageBrowser.route("api");
                page.awaitShown(api + " [data-field=\"policy\"] li");
                Await.until("the refusals", () -> page.text(api + " [data-field=\"rate-limited\"]")
                        .equals("rate-limited 3 · keys 1"));
                // The page redraws itself every second: a read between two drawings finds nothing, so each waits.
                Await.until("the api route's rules", () -> {
                    String rules = page.text(api + " [data-field=\"policy\"]");
                    return rules.contains("deny 192.0.2.0/24") && rules.contains("rate-limit 1/h burst 2 per client-ip")
                            && rules.contains("rewrite strip-prefix /api");
                });
                Await.until("the web route without rules",
                        () -> page.text(StatusPageBrowser.route("web") + " [data-field=\"policy\"]").equals("no rules"));
                assertEquals("", page.text(StatusPageBrowser.route("web") + " [data-field=\"rate-limited\"]"));
            }
        }
    }
}
