package dev.turnout.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC: SIGHUP reloads the configuration file. The real jar is started with a file, the file is edited and
 * the process gets {@code kill -HUP}: the new route answers; a file that does not validate is logged with
 * its key and the process keeps serving the configuration it had.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES) // a hang guard, not a performance bound
class ConfigReloadIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<HttpServer> backends = new ArrayList<>();
    private TurnoutProcess turnout;

    @AfterEach
    void stop() {
        if (turnout != null) {
            turnout.close();
        }
        backends.forEach(backend -> backend.stop(0));
    }

    /** A backend answering every request with {@code name}. */
    private int backend(String name) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", exchange -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        backends.add(server);
        return server.getAddress().getPort();
    }

    private String answer(String path) {
        try (WireClient client = new WireClient(turnout.port())) {
            return client.get(path).bodyText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void sighupReloadsTheFileAndABadFileKeepsTheOldConfigurationServing() throws Exception {
        int web = backend("web");
        int api = backend("api");
        String pools = "turnout.pools { web { backends = [ { id = w1, address = \"127.0.0.1:" + web + "\" } ] }\n"
                + "api { backends = [ { id = a1, address = \"127.0.0.1:" + api + "\" } ] } }\n";
        turnout = TurnoutProcess.start(dir, pools + "turnout.routes = [ { name = web, split { web = 100 } } ]\n");
        assertEquals("web", answer("/api/orders"));

        turnout.rewriteConfig(pools + "turnout.routes = [ { name = api, path-prefix = \"/api\", split { api = 100 } }, "
                + "{ name = web, split { web = 100 } } ]\n");
        turnout.hangUp();

        assertTrue(turnout.pollUntil(WAIT, () -> answer("/api/orders").equals("api")),
                "the new route never answered after SIGHUP\n" + turnout.describe());
        // The new snapshot routes before the reload is logged, so the log lines are waited for too.
        assertTrue(turnout.pollUntil(WAIT, () -> turnout.stdout().contains("configuration reloaded: routes added [api]")),
                turnout::describe);
        assertTrue(turnout.pollUntil(WAIT, () -> turnout.stdout().contains("SIGHUP reload configuration: routes added [api]")),
                "audited\n" + turnout.describe());

        turnout.rewriteConfig(pools + "turnout.routes = [ { name = web, split { web = 90 } } ]\n");
        turnout.hangUp();

        assertTrue(turnout.pollUntil(WAIT, () -> turnout.stdout().contains("configuration reload failure: "
                + "turnout.routes[0].split: ")), "the refusal is logged naming the key\n" + turnout.describe());
        assertTrue(turnout.process().isAlive(), turnout::describe);
        assertEquals("api", answer("/api/orders"), "the configuration in force keeps serving");
        assertEquals("web", answer("/"));
    }
}
