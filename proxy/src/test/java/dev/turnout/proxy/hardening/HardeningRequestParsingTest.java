package dev.turnout.proxy.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.TestProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Strict request parsing (RFC 9112): every request here is refused with a 4xx and a closed
 * connection, and the backend, which checks the bytes it receives itself ({@link StrictBackend}),
 * receives nothing of it. Extends MalformedRequestTest (missing colon, "Host : x", 5-vs-6
 * Content-Length, duplicate Host, ZZ and -1 chunk sizes), which this does not repeat.
 */
class HardeningRequestParsingTest {

    private static final Logger LOG = LoggerFactory.getLogger("turnout.test.hardening");
    private static final Set<Integer> BAD_REQUEST = Set.of(400);
    /** RFC 9112 6.1: an unknown transfer coding may be 501; the issue asks for 400. */
    private static final Set<Integer> BAD_CODING = Set.of(400, 501);
    /** RFC 9110 15.6.6: a version the proxy does not speak may be 505. */
    private static final Set<Integer> BAD_VERSION = Set.of(400, 505);
    private static final String POST = "POST /case HTTP/1.1\r\nHost: a.test\r\n";
    private static final String HELLO_CHUNKED = "5\r\nhello\r\n0\r\n\r\n";
    private static final AtomicInteger SENTINELS = new AtomicInteger();

    private static StrictBackend backend;
    private static Turnout proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = StrictBackend.start();
        proxy = TestProxy.start(backend.singlePool());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            assertEquals(List.of(), backend.malformed(), "the backend received malformed requests");
        } finally {
            proxy.close();
            backend.close();
        }
    }

    // ---- requests refused before anything reaches the backend --------------------------------

    static Stream<Arguments> framingConflicts() {
        return Stream.of(
                args("CL then TE", POST + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + HELLO_CHUNKED,
                        BAD_REQUEST),
                args("TE then CL", POST + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + HELLO_CHUNKED,
                        BAD_REQUEST),
                args("CL list 5, 6", POST + "Content-Length: 5, 6\r\n\r\nhello!", BAD_REQUEST),
                args("CL 5, 5, 6 on three lines", POST + "Content-Length: 5\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                        + "hello!", BAD_REQUEST),
                args("CL -5", POST + "Content-Length: -5\r\n\r\nhello", BAD_REQUEST),
                args("CL +5", POST + "Content-Length: +5\r\n\r\nhello", BAD_REQUEST),
                args("CL 0x5", POST + "Content-Length: 0x5\r\n\r\nhello", BAD_REQUEST),
                args("CL 1 0", POST + "Content-Length: 1 0\r\n\r\nhellohello", BAD_REQUEST),
                args("CL overflow", POST + "Content-Length: 99999999999999999999\r\n\r\nhello", BAD_REQUEST));
    }

    static Stream<Arguments> transferCodings() {
        return Stream.of(
                args("TE gzip", POST + "Transfer-Encoding: gzip\r\n\r\n" + HELLO_CHUNKED, BAD_CODING),
                args("TE chunked, gzip", POST + "Transfer-Encoding: chunked, gzip\r\n\r\n" + HELLO_CHUNKED, BAD_CODING),
                args("TE xchunked", POST + "Transfer-Encoding: xchunked\r\n\r\n" + HELLO_CHUNKED, BAD_CODING),
                args("TE identity", POST + "Transfer-Encoding: identity\r\n\r\n" + HELLO_CHUNKED, BAD_CODING),
                args("TE chunked, chunked", POST + "Transfer-Encoding: chunked, chunked\r\n\r\n" + HELLO_CHUNKED,
                        BAD_REQUEST),
                args("TE chunked on two lines", POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + HELLO_CHUNKED, BAD_REQUEST),
                args("TE empty", POST + "Transfer-Encoding: \r\n\r\n" + HELLO_CHUNKED, BAD_REQUEST),
                args("TE vertical tab", POST + "Transfer-Encoding: \u000bchunked\r\n\r\n" + HELLO_CHUNKED, BAD_REQUEST),
                args("TE on HTTP/1.0", "POST /case HTTP/1.0\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + HELLO_CHUNKED, BAD_REQUEST),
                args("TE folded", POST + "Transfer-Encoding:\r\n chunked\r\n\r\n" + HELLO_CHUNKED, BAD_REQUEST),
                args("TE space before colon", POST + "Content-Length: 4\r\nTransfer-Encoding : chunked\r\n\r\n"
                        + HELLO_CHUNKED, BAD_REQUEST),
                args("TE tab before colon", POST + "Transfer-Encoding\t: chunked\r\n\r\n" + HELLO_CHUNKED, BAD_REQUEST),
                args("TE first line starts with SP", "POST /case HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: a.test\r\n\r\n"
                        + HELLO_CHUNKED, BAD_REQUEST));
    }

    static Stream<Arguments> headerLines() {
        String get = "GET /case HTTP/1.1\r\nHost: a.test\r\n";
        return Stream.of(
                args("empty field name", get + ": value\r\n\r\n", BAD_REQUEST),
                args("space in field name", get + "X A: b\r\n\r\n", BAD_REQUEST),
                args("@ in field name", get + "X@A: b\r\n\r\n", BAD_REQUEST),
                args("non-ASCII field name", get + "X\u00e9: b\r\n\r\n", BAD_REQUEST),
                args("NUL in value", get + "X-A: a\u0000b\r\n\r\n", BAD_REQUEST),
                args("NUL in name", get + "X-\u0000A: b\r\n\r\n", BAD_REQUEST),
                args("CR alone in value", get + "X-A: a\rb\r\n\r\n", BAD_REQUEST),
                args("CR alone in name", get + "X-\rA: b\r\n\r\n", BAD_REQUEST),
                args("DEL in value", get + "X-A: a\u007fb\r\n\r\n", BAD_REQUEST),
                args("DEL in name", get + "X-\u007fA: b\r\n\r\n", BAD_REQUEST),
                args("SOH in value", get + "X-A: a\u0001b\r\n\r\n", BAD_REQUEST),
                args("US in value", get + "X-A: a\u001fb\r\n\r\n", BAD_REQUEST),
                args("ESC in name", get + "X-\u001bA: b\r\n\r\n", BAD_REQUEST),
                args("NUL in Host", "GET /case HTTP/1.1\r\nHost: a.test\u0000.evil\r\n\r\n", BAD_REQUEST));
    }

    static Stream<Arguments> requestLines() {
        String rest = "\r\nHost: a.test\r\n\r\n";
        return Stream.of(
                args("method G@T", "G@T /case HTTP/1.1" + rest, BAD_REQUEST),
                args("method GET,", "GET, /case HTTP/1.1" + rest, BAD_REQUEST),
                args("method with NUL", "G\u0000T /case HTTP/1.1" + rest, BAD_REQUEST),
                args("no method", " /case HTTP/1.1" + rest, BAD_REQUEST),
                args("space in target", "GET /ca se HTTP/1.1" + rest, BAD_REQUEST),
                args("HTTP/1", "GET /case HTTP/1" + rest, BAD_VERSION),
                args("HTTPS/1.1", "GET /case HTTPS/1.1" + rest, BAD_VERSION),
                args("HTTP/1.01", "GET /case HTTP/1.01" + rest, BAD_VERSION),
                args("HTTP/1.1 trailing space", "GET /case HTTP/1.1 " + rest, BAD_REQUEST));
    }

    static Stream<Arguments> hosts() {
        return Stream.of(
                args("Host twice, same value", "GET /case HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\n\r\n", BAD_REQUEST),
                args("Host and host", "GET /case HTTP/1.1\r\nHost: a.test\r\nhost: a.test\r\n\r\n", BAD_REQUEST),
                args("no Host on HTTP/1.1", "GET /case HTTP/1.1\r\nAccept: */*\r\n\r\n", BAD_REQUEST));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"framingConflicts", "transferCodings", "headerLines", "requestLines", "hosts"})
    void refusedAndNeverForwarded(String name, String request, Set<Integer> statuses) throws Exception {
        assertRefusedBeforeTheBackend(name, request, statuses);
    }

    static Stream<Arguments> codingsEndingInChunked() {
        return Stream.of(
                args("TE gzip, chunked", POST + "Transfer-Encoding: gzip, chunked\r\n\r\n" + HELLO_CHUNKED, BAD_CODING),
                args("TE gzip then TE chunked", POST + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + HELLO_CHUNKED, BAD_CODING));
    }

    /** The issue: Transfer-Encoding must be exactly "chunked"; a coding before it is not decoded, only passed on. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("codingsEndingInChunked")
    void transferCodingsBeforeChunkedAreRefused(String name, String request, Set<Integer> statuses) throws Exception {
        assertRefusedBeforeTheBackend(name, request, statuses);
    }

    static Stream<Arguments> obsFolds() {
        String get = "GET /case HTTP/1.1\r\nHost: a.test\r\n";
        return Stream.of(
                args("obs-fold SP", get + "X-Folded: a\r\n b\r\n\r\n", BAD_REQUEST),
                args("obs-fold HTAB", get + "X-Folded: a\r\n\tb\r\n\r\n", BAD_REQUEST));
    }

    /** RFC 9112 5.2 lets a proxy unfold instead; the issue asks for 400. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("obsFolds")
    void obsFoldIsRefused(String name, String request, Set<Integer> statuses) throws Exception {
        assertRefusedBeforeTheBackend(name, request, statuses);
    }

    static Stream<Arguments> laxRequestLines() {
        String rest = "\r\nHost: a.test\r\n\r\n";
        return Stream.of(
                args("two spaces", "GET  /case HTTP/1.1" + rest, BAD_REQUEST),
                args("CR alone in request line", "GET /case\r HTTP/1.1" + rest, BAD_REQUEST),
                args("NUL in target", "GET /ca\u0000se HTTP/1.1" + rest, BAD_REQUEST),
                args("SOH in target", "GET /ca\u0001se HTTP/1.1" + rest, BAD_REQUEST),
                args("DEL in target", "GET /ca\u007fse HTTP/1.1" + rest, BAD_REQUEST),
                args("byte 0xE9 in target", "GET /caf\u00e9 HTTP/1.1" + rest, BAD_REQUEST),
                args("target without leading slash", "GET case HTTP/1.1" + rest, BAD_REQUEST),
                args("asterisk target on GET", "GET * HTTP/1.1" + rest, BAD_REQUEST));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("laxRequestLines")
    void malformedRequestLineIsRefused(String name, String request, Set<Integer> statuses) throws Exception {
        assertRefusedBeforeTheBackend(name, request, statuses);
    }

    static Stream<Arguments> unsupportedVersions() {
        String rest = "\r\nHost: a.test\r\n\r\n";
        return Stream.of(
                args("HTTP/1.x0", "GET /case HTTP/1.10" + rest, BAD_VERSION),
                args("HTTP/2.0", "GET /case HTTP/2.0" + rest, BAD_VERSION),
                args("http/1.1", "GET /case http/1.1" + rest, BAD_VERSION));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupportedVersions")
    void unsupportedVersionIsRefused(String name, String request, Set<Integer> statuses) throws Exception {
        assertRefusedBeforeTheBackend(name, request, statuses);
    }

    static Stream<Arguments> invalidHosts() {
        return Stream.of(
                args("Host list", "GET /case HTTP/1.1\r\nHost: a.test, b.test\r\n\r\n", BAD_REQUEST),
                args("Host with space", "GET /case HTTP/1.1\r\nHost: a b\r\n\r\n", BAD_REQUEST),
                args("Host with path", "GET /case HTTP/1.1\r\nHost: a.test/evil\r\n\r\n", BAD_REQUEST),
                args("Host with userinfo", "GET /case HTTP/1.1\r\nHost: user@a.test\r\n\r\n", BAD_REQUEST));
    }

    /** RFC 9112 3.2: a Host with an invalid value is 400 like a missing or repeated one. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidHosts")
    void invalidHostValueIsRefused(String name, String request, Set<Integer> statuses) throws Exception {
        assertRefusedBeforeTheBackend(name, request, statuses);
    }

    // ---- broken bodies: the head may have gone on, the body must never end cleanly ------------

    static Stream<Arguments> brokenChunks() {
        String head = "POST /chunks HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n";
        return Stream.of(
                args("17 hex digits", head + "1ffffffffffffffff\r\nhello\r\n0\r\n\r\n", false),
                args("0x10", head + "0x10\r\nhello\r\n0\r\n\r\n", false),
                args("+5", head + "+5\r\nhello\r\n0\r\n\r\n", false),
                args("data longer than size", head + "3\r\nhello\r\n0\r\n\r\n", false),
                args("no CRLF after data", head + "5\r\nhello0\r\n\r\n", false),
                args("LF alone after size", head + "5\nhello\r\n0\r\n\r\n", false),
                args("CTL in chunk extension", head + "5;a=\u0001\r\nhello\r\n0\r\n\r\n", false),
                args("client closes before the last chunk", head + "5\r\nhello\r\n", true),
                args("client closes before Content-Length is reached",
                        "POST /chunks HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\nhello", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenChunks")
    void brokenBodyNeverCompletesAtTheBackend(String name, String request, boolean clientCloses) throws Exception {
        int before = backend.exchanges().size();
        Wire.Result r = Wire.exchange(proxy.address(), request.getBytes(StandardCharsets.ISO_8859_1),
                Duration.ofSeconds(2), Duration.ofMillis(500), clientCloses);
        LOG.info("{}: {}", name, r);
        if (!clientCloses) {
            assertEquals(400, r.status(), () -> name + ": " + r);
        }
        assertTrue(r.closed(), () -> name + ": the connection must close: " + r);
        sentinel();
        List<StrictBackend.Exchange> seen = backend.exchanges().subList(before, backend.exchanges().size());
        LOG.info("{}: the backend saw {}", name, seen);
        for (StrictBackend.Exchange e : seen) {
            if (e.target().equals("/chunks")) {
                assertFalse(e.complete(), () -> name + ": the backend received a complete request: " + e.describe());
            }
        }
        for (StrictBackend.Exchange e : seen) {
            if (e.target().equals("/chunks")) {
                Await.until(name + ": the backend connection that carried the broken body to close",
                        () -> !backend.isOpen(e.connectionId()));
            }
        }
    }

    // ---- odd but legal, or tolerable: refused, or forwarded in normal form ---------------------

    static Stream<Arguments> tolerable() {
        Predicate<StrictBackend.Exchange> hello = e -> e.bodyText().equals("hello");
        Predicate<StrictBackend.Exchange> any = e -> true;
        Predicate<StrictBackend.Exchange> tab = e -> e.values("X-A").equals(List.of("a\tb"));
        Predicate<StrictBackend.Exchange> asSent = e -> e.method().equals("get");
        String te = "POST /case HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: ";
        return Stream.of(
                args("TE Chunked (case-insensitive, valid)", te + "Chunked\r\n\r\n" + HELLO_CHUNKED, hello),
                args("TE chunked + HTAB (OWS, valid)", te + "chunked\t\r\n\r\n" + HELLO_CHUNKED, hello),
                args("TE with extra SP before chunked (OWS, valid)", te + "   chunked\r\n\r\n" + HELLO_CHUNKED, hello),
                args("CL 5 twice (RFC 9110 8.6 may accept)", POST + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
                        hello),
                args("CL 5, 5 (RFC 9110 8.6 may accept)", POST + "Content-Length: 5, 5\r\n\r\nhello", hello),
                args("chunk size with 17 digits of leading zeros", POST + "Transfer-Encoding: chunked\r\n\r\n"
                        + "00000000000000005\r\nhello\r\n0\r\n\r\n", hello),
                args("LF alone as line end", "GET /case HTTP/1.1\nHost: a.test\nX-A: b\n\n", any),
                args("HTAB inside a value", "GET /case HTTP/1.1\r\nHost: a.test\r\nX-A: a\tb\r\n\r\n", tab),
                args("obs-text in a value", "GET /case HTTP/1.1\r\nHost: a.test\r\nX-A: caf\u00e9\r\n\r\n", any),
                args("lowercase method get (a token, unknown)", "get /case HTTP/1.1\r\nHost: a.test\r\n\r\n", asSent));
    }

    /**
     * Each of these may be refused (400, or 501 for the method), or forwarded in normal form: one
     * Content-Length, exactly "chunked", CRLF line ends, the body intact, the method as sent.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("tolerable")
    void refusedOrForwardedNormalized(String name, String request, Predicate<StrictBackend.Exchange> check)
            throws Exception {
        int before = backend.exchanges().size();
        String target = "/case-" + SENTINELS.incrementAndGet();
        Wire.Result r = Wire.exchange(proxy.address(), request.replace("/case", target));
        LOG.info("{}: {}", name, r);
        if (r.status() == 400 || r.status() == 501) {
            assertTrue(r.closed(), () -> name + ": refused, so the connection closes: " + r);
            sentinel();
            List<StrictBackend.Exchange> seen = backend.exchanges().subList(before, backend.exchanges().size());
            assertEquals(1, seen.size(), () -> name + ": refused, yet the backend saw " + seen);
            return;
        }
        assertEquals(200, r.status(), () -> name + ": " + r);
        assertEquals("saw " + target, r.body(), () -> name + ": " + r);
        StrictBackend.Exchange e = backend.awaitComplete(target);
        backend.exchanges().subList(before, backend.exchanges().size()).forEach(x -> assertEquals(List.of(), x.problems(),
                () -> name + ": forwarded, but not in normal form: " + x.describe()));
        assertTrue(check.test(e), () -> name + ": forwarded differently from what was sent: " + e.describe()
                + " body=" + e.bodyText());
        sentinel();
    }

    /**
     * RFC 9112 3.2.2: with an absolute-form target the target's authority wins over Host, and an
     * inbound proxy forwards origin form; forwarding both lets proxy and backend disagree on the host.
     */
    @Test
    void absoluteFormIsRefusedOrForwardedInOriginForm() throws Exception {
        Wire.Result r = Wire.exchange(proxy.address(), "GET http://b.test/absolute HTTP/1.1\r\nHost: a.test\r\n\r\n");
        if (r.status() == 400) {
            return;
        }
        assertEquals("saw /absolute", r.body(), r::toString);
        StrictBackend.Exchange e = backend.awaitComplete("/absolute");
        assertEquals(List.of(), e.problems(), e::describe);
        assertEquals(List.of("b.test"), e.values("Host"), e::describe);
    }

    @Test
    void aNormalRequestIsForwardedInNormalForm() throws Exception {
        Wire.Result r = Wire.exchange(proxy.address(), "POST /normal HTTP/1.1\r\nhost:a.test\r\ncontent-length:5\r\n"
                + "X-Spaced:    padded value   \r\n\r\nhello");
        assertEquals(200, r.status(), r::toString);
        StrictBackend.Exchange e = backend.awaitComplete("/normal");
        assertEquals(List.of(), e.problems(), e::describe);
        assertEquals(List.of("padded value"), e.values("X-Spaced"), e::describe);
        assertEquals("hello", e.bodyText());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static Arguments args(String name, String request, Object expected) {
        return Arguments.of(name, request, expected);
    }

    /**
     * Sends {@code request} on a fresh connection, expects one of {@code statuses} and the
     * connection closed, then sends a sentinel: once it arrives at the backend, the refused request
     * would have too, and the backend must have seen nothing else.
     */
    private static void assertRefusedBeforeTheBackend(String name, String request, Set<Integer> statuses) throws Exception {
        int before = backend.exchanges().size();
        Wire.Result r = Wire.exchange(proxy.address(), request.replace("/case", "/case-" + SENTINELS.incrementAndGet()));
        LOG.info("{}: {}", name, r);
        String sentinel = sentinel();
        List<StrictBackend.Exchange> seen = backend.exchanges().subList(before, backend.exchanges().size());
        List<String> forwarded = seen.stream().filter(e -> !e.target().equals(sentinel))
                .map(e -> e.describe() + (e.problems().isEmpty() ? "" : " problems " + e.problems())).toList();
        if (!statuses.contains(r.status()) || !r.closed() || !forwarded.isEmpty()) {
            fail(name + ": expected " + statuses + " and a close, nothing forwarded; got " + r
                    + "\nbackend saw: " + forwarded);
        }
    }

    /** Sends a normal request and waits until it arrived at the backend; returns its target. */
    private static String sentinel() throws Exception {
        String target = "/sentinel-" + SENTINELS.incrementAndGet();
        Wire.Result r = Wire.exchange(proxy.address(),
                "GET " + target + " HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
        assertEquals(200, r.status(), () -> "the sentinel after a bad request: " + r);
        backend.awaitComplete(target);
        return target;
    }
}
