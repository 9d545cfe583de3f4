package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.LoadClient;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A backend killed without warning under continuous GET load: retries on the other backends
 * answer every request, and the health checks take it out of rotation.
 */
class CrashUnderLoadTest {

    private static boolean outOfRotation(Turnout turnout) {
        var app2 = turnout.control().backend("stable", "app2");
        return app2.ejected() || app2.health().equals("down");
    }

    @Test
    void aBackendKilledUnderLoadCostsNoRequest() throws Exception {
        try (RestartableBackend app1 = new RestartableBackend("app1");
                RestartableBackend app2 = new RestartableBackend("app2");
                RestartableBackend app3 = new RestartableBackend("app3");
                Turnout turnout = Turnout.start(ConfigLoader.parse("""
                        turnout {
                          listen = "127.0.0.1:0"
                          pools.stable {
                            backends = [
                              { id = app1, address = "%s" }, { id = app2, address = "%s" }, { id = app3, address = "%s" } ]
                            health-check { path = "/health", interval = 500ms, timeout = 300ms, unhealthy-threshold = 2 }
                          }
                          routes = [ { name = web, split { stable = 100 } } ]
                        }
                        """.formatted(app1.address(), app2.address(), app3.address())))) {
            URI target = URI.create("http://127.0.0.1:" + turnout.address().getPort() + "/");
            try (LoadClient load = new LoadClient(target, 4)) {
                Await.until("load and health to settle", Duration.ofSeconds(30), () -> load.sent() > 500
                        && turnout.control().backend("stable", "app2").health().equals("up"));

                long killedAt = System.nanoTime();
                app2.stop();
                Await.until("app2 to leave rotation", Duration.ofSeconds(30), () -> outOfRotation(turnout));
                long leftMillis = (System.nanoTime() - killedAt) / 1_000_000;
                Await.until("app2 to be marked down", Duration.ofSeconds(30),
                        () -> turnout.control().backend("stable", "app2").health().equals("down"));
                long ejectMillis = (System.nanoTime() - killedAt) / 1_000_000;
                long servedByApp2 = load.servedBy("app2");
                long after = load.sent();
                Await.until("load to go on", Duration.ofSeconds(30), () -> load.sent() > after + 1000);
                load.close();

                LoggerFactory.getLogger("turnout.test.load").info("backend killed under load: {} requests sent, {} failed,"
                        + " out of rotation {} ms and marked down {} ms after the kill (interval 500 ms x unhealthy-threshold 2)",
                        load.sent(), load.failures().size(), leftMillis, ejectMillis);
                assertEquals(List.of(), load.failures(), "failed requests around the crash (of " + load.sent() + ")");
                assertEquals(servedByApp2, load.servedBy("app2"), "no answer from app2 once it is down");
                assertTrue(load.servedBy("app1") > 0 && load.servedBy("app3") > 0);
            }
        }
    }
}
