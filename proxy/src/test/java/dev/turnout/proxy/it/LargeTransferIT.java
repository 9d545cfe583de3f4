package dev.turnout.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bodies far larger than the proxy's heap stream through it: the shaded jar runs with
 * {@code -Xmx64m} (so also at most 64 MB of direct memory), carries 300 MB down and 200 MB up,
 * and is still alive and serving afterwards. Byte counts and CRC32s are compared end to end.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard, not a performance bound
class LargeTransferIT {

    private static final long DOWNLOAD_BYTES = 300L << 20;
    private static final long UPLOAD_BYTES = 200L << 20;

    @TempDir
    static Path dir;

    private static StreamingBackend backend;
    private static TurnoutProcess turnout;

    @BeforeAll
    static void start() throws Exception {
        backend = StreamingBackend.start();
        turnout = TurnoutProcess.start(dir, """
                turnout {
                  pools { app { backends = [ { id = app1, address = "127.0.0.1:%d", weight = 1 } ] } }
                  routes = [ { name = all, host = "*", path-prefix = "/", split { app = 100 } } ]
                  shutdown.grace = 5s
                }
                """.formatted(backend.port()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (turnout != null) {
            turnout.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @AfterEach
    void proxyStillAliveAndServing() throws IOException {
        assertTrue(turnout.process().isAlive(), "turnout died\n" + turnout.describe());
        try (WireClient client = new WireClient(turnout.port())) {
            WireClient.Response response = client.get("/after");
            assertEquals(200, response.status(), turnout::describe);
            assertEquals("ok\n", response.bodyText());
        }
        assertFalse(turnout.stdout().contains("OutOfMemoryError") || turnout.stderr().contains("OutOfMemoryError"),
                turnout::describe);
        assertFalse(turnout.stdout().contains("OutOfDirectMemoryError") || turnout.stderr().contains("OutOfDirectMemoryError"),
                turnout::describe);
    }

    @ParameterizedTest(name = "chunked = {0}")
    @ValueSource(booleans = {false, true})
    void download300MegabytesThroughA64MegabyteHeap(boolean chunked) throws IOException {
        try (WireClient client = new WireClient(turnout.port())) {
            WireClient.Response response = client.get("/download?bytes=" + DOWNLOAD_BYTES + "&chunked=" + chunked);

            assertEquals(200, response.status(), turnout::describe);
            if (!chunked) {
                assertEquals(String.valueOf(DOWNLOAD_BYTES), response.headers().get("content-length"));
            }
            PatternBytes.Tally received = response.tally();
            assertEquals(PatternBytes.Tally.summary(DOWNLOAD_BYTES, PatternBytes.crc(DOWNLOAD_BYTES)), received.summary());
        }
    }

    @ParameterizedTest(name = "chunked = {0}")
    @ValueSource(booleans = {false, true})
    void upload200MegabytesThroughA64MegabyteHeap(boolean chunked) throws IOException {
        try (WireClient client = new WireClient(turnout.port())) {
            if (chunked) {
                client.sendHead("POST", "/upload", "Transfer-Encoding: chunked", "Content-Type: application/octet-stream");
                HttpWire.ChunkedOutputStream body = client.chunkedBody();
                PatternBytes.write(body, UPLOAD_BYTES);
                body.finish();
            } else {
                client.sendHead("POST", "/upload", "Content-Length: " + UPLOAD_BYTES, "Content-Type: application/octet-stream");
                OutputStream body = client.body();
                PatternBytes.write(body, UPLOAD_BYTES);
                client.flush();
            }
            WireClient.Response response = client.readResponse();

            assertEquals(200, response.status(), turnout::describe);
            assertEquals(PatternBytes.Tally.summary(UPLOAD_BYTES, PatternBytes.crc(UPLOAD_BYTES)) + "\n", response.bodyText(),
                    "what the backend received");
        }
    }
}
