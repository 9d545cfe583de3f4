package dev.turnout.proxy.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admin listener under hostile input, through a real {@link Turnout} with a token. Extends the
 * admin-api module's tests (wrong tokens are 401, a 70 KB Content-Length body is 413), which this
 * does not repeat. The token comparison is MessageDigest.isEqual (constant time for the expected
 * length), checked by reading AdminServer, not by timing.
 */
class HardeningAdminTest {

    private static final String TOKEN = "s3cret-Token";
    private static final String AUTH = "Authorization: Bearer " + TOKEN + "\r\n";

    private static StrictBackend backend;
    private static Turnout proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = StrictBackend.start();
        proxy = TestProxy.start("admin { listen = \"127.0.0.1:0\", token = \"" + TOKEN + "\" }\n" + backend.singlePool());
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        String chunk = Integer.toHexString(8192) + "\r\n" + "x".repeat(8192) + "\r\n";
        Wire.Result r = admin("POST /api/v1/cache/purge HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk.repeat(9) + "0\r\n\r\n");
        assertEquals(413, r.status(), r::toString);
    }

    @Test
    void bodyOfExactlyTheLimitIsReadNot413() throws Exception {
        String body = "{\"prefix\":\"/" + "p".repeat(64 * 1024 - 14) + "\"}";
        assertEquals(64 * 1024, body.length());
        Wire.Result r = admin(post("/api/v1/cache/purge", "application/json", body));
        assertEquals(200, r.status(), r::toString);
    }

    /**
     * Two clients that announce a body and send it one byte at a time hold both admin handler
     * threads inside readNBytes, so nobody else gets an answer: a declared length over the limit
     * should be refused without reading, and a body read should have a deadline.
     */
    @Test
    void slowBodiesDoNotStarveTheAdminApi() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket();
                s.connect(proxy.adminAddress(), 2000);
                String head = "POST /api/v1/cache/purge HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
                        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
                s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
                slow.add(s);
            }
            Wire.Result r = Wire.exchange(adminAddress(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(3), Duration.ofMillis(100), false);
            assertEquals(200, r.status(), r::toString);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    static Stream<Arguments> notJson() {
        String weight = "/api/v1/pools/app/backends/b0/weight";
        return Stream.of(
                Arguments.of("PUT", weight, "text/plain", "{\"weight\":1}"),
                Arguments.of("PUT", weight, "application/x-www-form-urlencoded", "{\"weight\":1}"),
                Arguments.of("POST", "/api/v1/cache/purge", "text/plain", "{}"),
                Arguments.of("POST", "/api/v1/cache/purge", "multipart/form-data; boundary=x", "{}"));
    }

    /** A JSON endpoint takes JSON only: a form or text body (what a cross-site form can send) is 415. */
    @ParameterizedTest(name = "{0} {1} as {2}")
    @MethodSource("notJson")
    void nonJsonContentTypeIs415(String method, String path, String type, String body) throws Exception {
        Wire.Result r = admin(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + "Content-Type: " + type
                + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body);
        assertEquals(415, r.status(), r::toString);
    }

    static Stream<Arguments> garbage() {
        String drain = "/api/v1/pools/app/backends/b0/drain";
        return Stream.of(
                Arguments.of("NUL in the path", get("/api/v1/pools/%00")),
                Arguments.of("invalid JSON", post("/api/v1/cache/purge", "application/json", "{\"prefix\":")),
                Arguments.of("deeply nested JSON", post("/api/v1/cache/purge", "application/json",
                        "[".repeat(5000) + "]".repeat(5000))),
                Arguments.of("number out of range", put("/api/v1/pools/app/backends/b0/weight", "{\"weight\":1e400}")),
                Arguments.of("huge integer", put("/api/v1/pools/app/backends/b0/weight", "{\"weight\":"
                        + "9".repeat(500) + "}")),
                Arguments.of("not UTF-8", post("/api/v1/cache/purge", "application/json", "{\"prefix\":\"/\u00ff\u00fe\"}")),
                Arguments.of("absurd address", post("/api/v1/pools/app/backends", "application/json",
                        "{\"id\":\"b9\",\"address\":\"[::1:99999999999\"}")),
                Arguments.of("unknown method", "BREW /api/v1/pools HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + "\r\n"),
                Arguments.of("wait that overflows", post(drain + "?wait=999999999m", "application/json", "")),
                Arguments.of("rollout with garbage", post("/api/v1/routes/web/rollout", "application/json",
                        "{\"from\":\"app\",\"to\":[1],\"steps\":\"x\"}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("garbage")
    void garbageNeverShowsAStackTraceOrA500(String name, String request) throws Exception {
        Wire.Result r = admin(request);
        assertTrue(r.answered(), () -> name + ": " + r);
        assertNotEquals(500, r.status(), () -> name + ": " + r);
        for (String leak : List.of("Exception", "at dev.", "at java.", "java.lang.", "com.fasterxml")) {
            assertFalse(r.body().contains(leak), () -> name + ": the answer shows internals: " + r);
        }
    }

    static Stream<Arguments> badEscapes() {
        String drain = "/api/v1/pools/app/backends/b0/drain";
        return Stream.of(
                Arguments.of("bad escape in the path", get("/api/v1/pools/%zz")),
                Arguments.of("truncated escape in the path", get("/api/v1/pools/app%")),
                Arguments.of("bad escape in the query", post(drain + "?wait=%G1", "application/json", "")),
                Arguments.of("bad escape in a query name", post(drain + "?%=1", "application/json", "")));
    }

    /**
     * The JDK's HttpServer refuses these itself, before AdminServer's handler runs: 400, naming the
     * exception type ("URISyntaxException thrown") but with no stack trace and nothing of Turnout's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badEscapes")
    void badPercentEscapesAre400WithoutAStackTrace(String name, String request) throws Exception {
        Wire.Result r = admin(request);
        assertEquals(400, r.status(), () -> name + ": " + r);
        for (String leak : List.of("at dev.", "at java.", "at sun.", "dev.turnout", "com.fasterxml")) {
            assertFalse(r.body().contains(leak), () -> name + ": the answer shows internals: " + r);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static InetSocketAddress adminAddress() {
        return proxy.adminAddress();
    }

    private static Wire.Result admin(String request) throws IOException {
        return Wire.exchange(adminAddress(), request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(3),
                Duration.ofMillis(100), false);
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + "Connection: close\r\n\r\n";
    }

    private static String post(String path, String type, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + "Content-Type: " + type + "\r\nContent-Length: "
                + body.length() + "\r\nConnection: close\r\n\r\n" + body;
    }

    private static String put(String path, String body) {
        return post(path, "application/json", body).replaceFirst("^POST", "PUT");
    }
}
