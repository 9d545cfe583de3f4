package dev.turnout.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.Reply;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upgrading Turnout itself by the README's procedure, three times in a row under continuous load:
 * start the new process with {@code --takeover} (it shares the data port and waits for the admin
 * port), then SIGTERM the old one, which lets go of the admin port and drains. No request fails,
 * and no keep-alive client has to send one again: the load client counts a kept-alive connection
 * closed before its answer as a failure.
 */
class RestartUnderLoadIT {

    private static final Logger LOAD = LoggerFactory.getLogger("turnout.test.load");

    @Test
    void threeRestartsInARowUnderLoadFailNoRequest(@TempDir Path dir) throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("ok"))) {
            int port = TurnoutProcess.freePort();
            int adminPort = TurnoutProcess.freePort();
            Path config = dir.resolve("turnout.conf");
            Files.writeString(config, "turnout { listen = \"127.0.0.1:" + port + "\", admin.listen = \"127.0.0.1:" + adminPort
                    + "\", state-file = \"" + dir.resolve("state.json") + "\", shutdown.grace = 10s\n"
                    + "pools { app { backends = [ { id = b0, address = \"" + backend.address() + "\" } ] } }\n"
                    + "routes = [ { name = web, split { app = 100 } } ] }");
            TurnoutProcess current = TurnoutProcess.launch(dir, "--config", config.toString());
            assertTrue(current.pollUntil(TurnoutProcess.START_TIMEOUT, () -> answersHealthz(adminPort)), current::describe);

            List<String> failures = new ArrayList<>();
            long sent;
            try (LoadClient load = new LoadClient(URI.create("http://127.0.0.1:" + port + "/"), 4)) {
                for (int restart = 1; restart <= 3; restart++) {
                    long before = load.sent();
                    TurnoutProcess next = TurnoutProcess.launch(dir, "--config", config.toString(), "--takeover");
                    assertTrue(next.pollUntil(TurnoutProcess.START_TIMEOUT,
                            () -> next.stdout().contains("beside the Turnout being replaced")), next::describe);
                    current.terminate();
                    assertEquals(0, current.waitForExit(TurnoutProcess.EXIT_TIMEOUT), current::describe);
                    assertTrue(next.pollUntil(TurnoutProcess.START_TIMEOUT, () -> answersHealthz(adminPort)), next::describe);
                    current = next;
                    long during = load.sent() - before;
                    assertTrue(next.pollUntil(TurnoutProcess.START_TIMEOUT, () -> load.sent() > before + during + 200),
                            "the new process serves");
                    LOAD.info("restart {}: {} requests sent while it happened, {} failed so far", restart, during,
                            load.failures().size());
                }
                sent = load.sent();
                failures.addAll(load.failures());
            } finally {
                current.terminate();
                current.waitForExit(TurnoutProcess.EXIT_TIMEOUT);
            }
            LOAD.info("three restarts under load: {} requests, {} failed", sent, failures.size());
            assertEquals(List.of(), failures, "requests failed or had to be resent during the restarts");
            assertTrue(sent > 1000, "the load ran: " + sent);
        }
    }

    private static boolean answersHealthz(int adminPort) {
        try (WireClient admin = new WireClient(adminPort)) {
            return admin.get("/healthz").status() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }
}
