package dev.turnout.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC: on SIGTERM, stop accepting, finish the requests in flight (bounded by
 * {@code turnout.shutdown.grace}), exit 0. The grace here is long (30 s), so a clean exit means the
 * proxy did not simply wait the grace out; its log must not say it had to cut connections.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES) // a hang guard, not a performance bound
class GracefulShutdownIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long HELD_BODY_BYTES = 1L << 20;
    private static final String GRACE_EXPIRED = "grace period over";

    @TempDir
    Path dir;

    private StreamingBackend backend;
    private TurnoutProcess turnout;

    @BeforeEach
    void startBackend() throws Exception {
        backend = StreamingBackend.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (turnout != null) {
            turnout.close();
        }
        backend.close();
    }

    private String config() {
        return """
                turnout {
                  pools { app { backends = [ { id = app1, address = "127.0.0.1:%d", weight = 1 } ] } }
                  routes = [ { name = all, host = "*", path-prefix = "/", split { app = 100 } } ]
                  timeouts { request = 60s }
                  shutdown.grace = 30s
                }
                """.formatted(backend.port());
    }

    /** Starts the proxy and waits until it is ready (both listeners up). */
    private void startTurnout() throws Exception {
        turnout = TurnoutProcess.start(dir, config());
    }

    @Test
    void sigtermLetsTheRequestInFlightFinishThenExitsZero() throws Exception {
        startTurnout();
        StreamingBackend.Hold hold = backend.hold("slow");
        try (WireClient client = new WireClient(turnout.port())) {
            client.sendHead("GET", "/hold?id=slow&bytes=" + HELD_BODY_BYTES);
            assertTrue(hold.awaitArrival(WAIT), "the backend never got the request\n" + turnout.describe());

            turnout.terminate();

            assertTrue(turnout.pollUntil(WAIT, () -> !TurnoutProcess.accepts(turnout.port())),
                    "the listener still accepts connections after SIGTERM\n" + turnout.describe());
            assertTrue(turnout.process().isAlive(),
                    "turnout exited with a request in flight\n" + turnout.describe());

            hold.release();

            WireClient.Response response = client.readResponse();
            assertEquals(200, response.status(), turnout::describe);
            PatternBytes.Tally body = response.tally();
            assertEquals(PatternBytes.Tally.summary(HELD_BODY_BYTES, PatternBytes.crc(HELD_BODY_BYTES)), body.summary(),
                    "the response to the request in flight arrived whole");
            assertTrue(client.closedByPeer(), "the connection closes after the last response");
        }
        assertEquals(0, turnout.waitForExit(WAIT), turnout::describe);
        assertFalse(turnout.stdout().contains(GRACE_EXPIRED), turnout::describe);
    }

    @Test
    void sigtermClosesIdleKeepAliveConnectionsAndExitsZero() throws Exception {
        startTurnout();
        try (WireClient client = new WireClient(turnout.port())) {
            WireClient.Response response = client.get("/before");
            assertEquals(200, response.status(), turnout::describe);
            assertEquals("ok\n", response.bodyText());

            turnout.terminate();

            assertTrue(client.closedByPeer(), "the idle keep-alive connection is closed");
        }
        assertEquals(0, turnout.waitForExit(WAIT), turnout::describe);
        assertFalse(turnout.stdout().contains(GRACE_EXPIRED),
                "an idle connection must not hold the shutdown until the grace runs out\n" + turnout.describe());
    }

    @Test
    void sigtermWithNoTrafficExitsZero() throws Exception {
        startTurnout();
        turnout.terminate();
        assertEquals(0, turnout.waitForExit(WAIT), turnout::describe);
    }

    @Test
    void sigtermLetsAStreamingDownloadFinish() throws Exception {
        startTurnout();
        long length = 64L << 20;
        try (WireClient client = new WireClient(turnout.port())) {
            WireClient.Response response = client.get("/download?bytes=" + length);
            assertEquals(200, response.status(), turnout::describe);
            PatternBytes.Tally body = new PatternBytes.Tally();
            byte[] first = response.body().readNBytes(1 << 20);
            body.update(first, 0, first.length);

            turnout.terminate();

            assertTrue(turnout.pollUntil(WAIT, () -> !TurnoutProcess.accepts(turnout.port())),
                    "the listener still accepts connections after SIGTERM\n" + turnout.describe());
            body.consume(response.body());
            assertEquals(PatternBytes.Tally.summary(length, PatternBytes.crc(length)), body.summary(),
                    "the download in flight arrived whole");
        }
        assertEquals(0, turnout.waitForExit(WAIT), turnout::describe);
        assertFalse(turnout.stdout().contains(GRACE_EXPIRED), turnout::describe);
    }

    @Test
    void sigtermLetsAnUploadInFlightFinish() throws Exception {
        startTurnout();
        long length = 32L << 20;
        long firstPart = 1L << 20;
        StreamingBackend.Hold started = backend.hold("upload");
        try (WireClient client = new WireClient(turnout.port())) {
            client.sendHead("POST", "/upload?id=upload", "Content-Length: " + length);
            PatternBytes.write(client.body(), firstPart);
            client.flush();
            assertTrue(started.awaitArrival(WAIT), "the backend never got the upload\n" + turnout.describe());

            turnout.terminate();

            assertTrue(turnout.pollUntil(WAIT, () -> !TurnoutProcess.accepts(turnout.port())),
                    "the listener still accepts connections after SIGTERM\n" + turnout.describe());
            PatternBytes.write(client.body(), firstPart, length - firstPart);
            client.flush();

            WireClient.Response response = client.readResponse();
            assertEquals(200, response.status(), turnout::describe);
            assertEquals(PatternBytes.Tally.summary(length, PatternBytes.crc(length)) + "\n", response.bodyText(),
                    "what the backend received");
        }
        assertEquals(0, turnout.waitForExit(WAIT), turnout::describe);
        assertFalse(turnout.stdout().contains(GRACE_EXPIRED), turnout::describe);
    }

    /**
     * A deploy script may stop Turnout as soon as its port accepts connections. SIGTERM then has to
     * be a graceful stop like any other: exit 0, not the JVM's default death by signal (143).
     */
    @Test
    void sigtermAsSoonAsTheListenerAcceptsExitsZero() throws Exception {
        turnout = TurnoutProcess.launchWithConfig(dir, config());
        int port = turnout.port();
        assertTrue(turnout.pollUntil(TurnoutProcess.START_TIMEOUT, Duration.ZERO, () -> TurnoutProcess.accepts(port)),
                "turnout never listened\n" + turnout.describe());

        turnout.terminate();

        assertEquals(0, turnout.waitForExit(WAIT),
                () -> "SIGTERM right after the listener came up did not stop Turnout gracefully\n" + turnout.describe());
    }
}
