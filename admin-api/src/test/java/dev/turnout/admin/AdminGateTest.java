package dev.turnout.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests not meant for this listener (a Host that does not name it: DNS rebinding) or sent by another
 * site's page (a foreign Origin or Sec-Fetch-Site) are refused before anything runs, on every path and
 * method, and change nothing; the listener's own pages, curl and scripts go on as before.
 */
class AdminGateTest {

    private static final String DRAIN = "/api/v1/pools/stable/backends/app1/drain";
    private static final List<String> PATHS = List.of("/", "/status.js", "/healthz", "/metrics", "/api/v1/pools",
            "/api/v1/summary", DRAIN, "/api/v1/pools/stable/backends/app1", "/nothing-here");
    private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS");

    private static String host(AdminHarness admin) {
        return "Host: 127.0.0.1:" + admin.server.address().getPort() + "\r\n";
    }

    private static String ownOrigin(AdminHarness admin) {
        return "http://127.0.0.1:" + admin.server.address().getPort();
    }

    private static void assertNothingChanged(AdminHarness admin, List<Object> before) {
        assertEquals(List.of(), admin.control.calls());
        assertEquals(before, admin.control.snapshot());
        assertEquals("active", admin.control.backend("stable", "app1").state());
    }

    private static void assertRefused(int status, RawExchange answer) throws IOException {
        assertEquals(status, answer.status(), answer::toString);
        if (!answer.head().startsWith("HTTP/1.1 " + status) || answer.body().isEmpty()) {
            return; // HEAD: no body to read
        }
        JsonNode error = AdminHarness.JSON.readTree(answer.body());
        assertFalse(error.path("error").asText().isBlank(), answer::toString);
    }

    @Test
    void aDrainFromAnotherOriginIs403AndTheBackendStaysActive() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            List<Object> before = admin.control.snapshot();

            // What fetch(..., {method: "POST", mode: "no-cors"}) sends from a page on another local port.
            RawExchange answer = RawExchange.send(admin.server.address(), "POST", DRAIN, host(admin)
                    + "Origin: http://127.0.0.1:8000\r\nSec-Fetch-Site: same-site\r\nSec-Fetch-Mode: no-cors\r\n");

            assertRefused(403, answer);
            assertNothingChanged(admin, before);
        }
    }

    static Stream<Arguments> foreignBrowserHeads() {
        return Stream.of(
                Arguments.of("another site", "Origin: https://evil.example\r\n"),
                Arguments.of("another port of this host", "Origin: http://127.0.0.1:1\r\n"),
                Arguments.of("https for an http listener", "Origin: https://127.0.0.1:{port}\r\n"),
                Arguments.of("an opaque origin", "Origin: null\r\n"),
                Arguments.of("a cross-site fetch without Origin", "Sec-Fetch-Site: cross-site\r\n"),
                Arguments.of("a same-site fetch without Origin", "Sec-Fetch-Site: same-site\r\n"),
                Arguments.of("a second, foreign Origin", "Origin: http://127.0.0.1:{port}\r\nOrigin: http://evil.example\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("foreignBrowserHeads")
    void everyMethodOnEveryPathFromAnotherOriginIs403(String description, String head) throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            List<Object> before = admin.control.snapshot();
            String lines = host(admin) + head.replace("{port}", String.valueOf(admin.server.address().getPort()));
            for (String method : METHODS) {
                for (String path : PATHS) {
                    RawExchange answer = RawExchange.send(admin.server.address(), method, path, lines);
                    assertEquals(403, answer.status(), () -> method + " " + path + "\n" + answer);
                    assertFalse(answer.hasHeader("Access-Control-Allow-Origin"), answer::toString);
                }
            }
            assertNothingChanged(admin, before);
        }
    }

    @Test
    void aPreflightFromAnotherOriginIsNeverApproved() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            RawExchange answer = RawExchange.send(admin.server.address(), "OPTIONS", DRAIN, host(admin)
                    + "Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
                    + "Access-Control-Request-Headers: content-type\r\n");

            assertRefused(403, answer);
            for (String header : List.of("Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                    "Access-Control-Allow-Headers", "Access-Control-Allow-Credentials")) {
                assertFalse(answer.hasHeader(header), () -> header + " in\n" + answer);
            }
        }
    }

    @Test
    void theListenersOwnPagesMayCallIt() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            // What the status page's own fetch sends: Origin is the page's, i.e. this listener's.
            RawExchange answer = RawExchange.send(admin.server.address(), "POST", DRAIN, host(admin)
                    + "Origin: " + ownOrigin(admin) + "\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\n");

            assertEquals(200, answer.status(), answer::toString);
            assertEquals(List.of("drain stable/app1"), admin.control.calls());
            // Typed into the address bar: the browser says no site made the call.
            assertEquals(200, RawExchange.send(admin.server.address(), "GET", "/", host(admin)
                    + "Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\n").status());
        }
    }

    @Test
    void aForeignHostIs421OnEveryPathAndMethodAndChangesNothing() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            List<Object> before = admin.control.snapshot();
            for (String host : List.of("evil.example", "evil.example:" + admin.server.address().getPort(),
                    "localhost.evil.example", "10.11.12.13", "127.0.0.2:80", "[::2]", "999.0.0.1", "127.0.0.1:x", "")) {
                for (String method : METHODS) {
                    for (String path : PATHS) {
                        RawExchange answer = RawExchange.send(admin.server.address(), method, path, "Host: " + host + "\r\n");
                        assertRefused(421, answer);
                    }
                }
            }
            assertNothingChanged(admin, before);
        }
    }

    @Test
    void theHostIsCheckedBeforeTheToken() throws Exception {
        try (AdminHarness admin = AdminHarness.start("a-Token", null)) {
            RawExchange answer = RawExchange.send(admin.server.address(), "POST", DRAIN,
                    "Host: evil.example\r\nAuthorization: Bearer a-Token\r\n");

            assertRefused(421, answer);
            assertEquals(List.of(), admin.control.calls());
        }
    }

    @Test
    void aRequestWithoutAHostOrWithTwoIs421() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            assertRefused(421, RawExchange.send(admin.server.address(), "GET /healthz HTTP/1.0\r\n\r\n"));
            assertRefused(421, RawExchange.send(admin.server.address(), "GET", "/healthz",
                    host(admin) + "Host: evil.example\r\n"));
        }
    }

    @Test
    void anAbsoluteTargetNamingAnotherHostIs421() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            RawExchange answer = RawExchange.send(admin.server.address(), "POST", "http://evil.example" + DRAIN, host(admin));

            assertRefused(421, answer);
            assertEquals(List.of(), admin.control.calls());
        }
    }

    @ParameterizedTest(name = "Host: {0}")
    @ValueSource(strings = {"127.0.0.1", "127.0.0.1:{port}", "localhost", "LOCALHOST:{port}", "localhost.", "[::1]",
        "[::1]:{port}", "[0:0:0:0:0:0:0:1]:{port}"})
    void theListenersOwnNamesAreAnswered(String host) throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            String value = host.replace("{port}", String.valueOf(admin.server.address().getPort()));
            RawExchange answer = RawExchange.send(admin.server.address(), "GET", "/api/v1/pools", "Host: " + value + "\r\n");

            assertEquals(200, answer.status(), answer::toString);
        }
    }

    @Test
    void theConfiguredHostsAreAnsweredAndOnlyThey() throws Exception {
        try (AdminHarness admin = AdminHarness.start(s -> s.withHosts(List.of("turnout-admin.internal", "Edge-1.example")))) {
            InetSocketAddress address = admin.server.address();
            assertEquals(200, RawExchange.send(address, "POST", DRAIN, "Host: turnout-admin.internal:9090\r\n").status());
            assertEquals(200, RawExchange.send(address, "GET", "/healthz", "Host: edge-1.example\r\n").status());
            assertEquals(421, RawExchange.send(address, "GET", "/healthz", "Host: edge-2.example\r\n").status());
            assertEquals(List.of("drain stable/app1"), admin.control.calls());
        }
    }

    @Test
    void onAllAddressesTheMachinesOwnAddressesAreAnswered() throws Exception {
        AdminGate gate = AdminGate.of("0.0.0.0", InetAddress.getByName("0.0.0.0"), List.of(), false);

        assertTrue(gate.answers("127.0.0.1:9090"));
        assertTrue(gate.answers("localhost"));
        assertFalse(gate.answers("evil.example"));
        assertFalse(gate.answers("0x7f.1:9090"));
    }

    @Test
    void aListenerNamedByAHostNameAnswersThatName() throws Exception {
        AdminGate gate = AdminGate.of("admin.internal", InetAddress.getLoopbackAddress(), List.of(), false);

        assertTrue(gate.answers("admin.internal:9090"));
        assertFalse(gate.answers("other.internal:9090"));
    }
}
