package dev.turnout.proxy.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.EOFException;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Misbehaving backends, per RFC 9112: a 502/504 while the answer has not started, a cut client
 * connection once it has, never a mixed-up answer on a reused client connection, and the broken
 * backend connection discarded (the next request arrives on a new one). Extends
 * ProxyErrorMappingTest (SSH banner, binary garbage, one 40 KB header, stall, truncated bodies) and
 * ClientProtocolTest (one 103 before the answer), which this does not repeat.
 */
class HardeningBackendTest {

    private static final Logger LOG = LoggerFactory.getLogger("turnout.test.hardening");
    private static final String SHORT_TIMEOUTS = "timeouts { connect = 500ms, request = 500ms }\n";
    private static final String OK_HEAD = "HTTP/1.1 200 OK\r\n";

    /** What the client of the misbehaving exchange must see. */
    enum Expect {
        /** 502 before any byte of the answer; the client connection may go on. */
        BAD_GATEWAY,
        /** 504 before any byte of the answer; the client connection may go on. */
        GATEWAY_TIMEOUT,
        /** The answer started (200), then the client connection is closed, without a clean end. */
        CUT,
        /** The legitimate final answer, 200 "final", whatever came before or after it. */
        FINAL
    }

    static Stream<Arguments> invalidHeads() {
        return Stream.of(
                args("status 2OO", "HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok", Expect.BAD_GATEWAY),
                args("status 200OK", "HTTP/1.1 200OK\r\nContent-Length: 2\r\n\r\nok", Expect.BAD_GATEWAY),
                args("version HTTP/2", "HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok", Expect.BAD_GATEWAY),
                args("status line of 10,000 bytes", "HTTP/1.1 200 " + "O".repeat(10_000) + "\r\nContent-Length: 2\r\n\r\nok",
                        Expect.BAD_GATEWAY),
                args("headers of 40 KB in 100 lines", OK_HEAD + manyHeaders(100, 400) + "Content-Length: 2\r\n\r\nok",
                        Expect.BAD_GATEWAY),
                args("NUL in a header value", OK_HEAD + "X-A: a\u0000b\r\nContent-Length: 2\r\n\r\nok", Expect.BAD_GATEWAY),
                args("CR alone in a header value", OK_HEAD + "X-A: a\rSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok",
                        Expect.BAD_GATEWAY),
                args("unsolicited 101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: upgrade\r\n\r\n",
                        Expect.BAD_GATEWAY));
    }

    static Stream<Arguments> conflictingFraming() {
        return Stream.of(
                args("CL and TE", OK_HEAD + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfinal\r\n0\r\n\r\n",
                        Expect.BAD_GATEWAY),
                args("TE and CL", OK_HEAD + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nfinal\r\n0\r\n\r\n",
                        Expect.BAD_GATEWAY),
                args("CL 5 and CL 7", OK_HEAD + "Content-Length: 5\r\nContent-Length: 7\r\n\r\nfinal!!", Expect.BAD_GATEWAY),
                args("CL 5, 7", OK_HEAD + "Content-Length: 5, 7\r\n\r\nfinal!!", Expect.BAD_GATEWAY),
                args("CL -1", OK_HEAD + "Content-Length: -1\r\n\r\nfinal", Expect.BAD_GATEWAY),
                args("TE chunked, gzip", OK_HEAD + "Transfer-Encoding: chunked, gzip\r\n\r\nfinal", Expect.BAD_GATEWAY));
    }

    static Stream<Arguments> bodiesThatLie() {
        return Stream.of(
                args("body shorter than CL, then close", OK_HEAD + "Content-Length: 10\r\n\r\nfinal", Expect.CUT, true),
                args("body longer than CL: a second response follows", OK_HEAD + "Content-Length: 5\r\n\r\nfinal"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL", Expect.FINAL, false),
                args("204 with a body", "HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL", null, false));
    }

    static Stream<Arguments> interimAnswers() {
        String last = OK_HEAD + "Content-Length: 5\r\n\r\nfinal";
        return Stream.of(
                args("100 then 200", "HTTP/1.1 100 Continue\r\n\r\n" + last, Expect.FINAL),
                args("100, 103, 103 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                        + "HTTP/1.1 103 Early Hints\r\nLink: </b>\r\n\r\n" + last, Expect.FINAL),
                args("103 claiming a body", "HTTP/1.1 103 Early Hints\r\nContent-Length: 4\r\n\r\n" + last, Expect.FINAL),
                args("100 then silence", "HTTP/1.1 100 Continue\r\n\r\n", Expect.GATEWAY_TIMEOUT),
                args("half a status line then silence", "HTTP/1.1 20", Expect.GATEWAY_TIMEOUT),
                args("half a head then silence", OK_HEAD + "Content-Le", Expect.GATEWAY_TIMEOUT));
    }

    /** RFC 9112 5.1 and 5.2: a proxy removes whitespace before a response field's colon, and may unfold obs-fold. */
    static Stream<Arguments> repairableResponses() {
        return Stream.of(
                args("space before the colon", OK_HEAD + "Content-Length : 5\r\n\r\nfinal", Expect.FINAL),
                args("obs-fold in a response field", OK_HEAD + "X-A: a\r\n b\r\nContent-Length: 5\r\n\r\nfinal",
                        Expect.FINAL));
    }

    static Stream<Arguments> invalidStatusCodes() {
        return Stream.of(
                args("status 20", "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok", Expect.BAD_GATEWAY),
                args("status 099", "HTTP/1.1 099 Hm\r\nContent-Length: 2\r\n\r\nok", Expect.BAD_GATEWAY),
                args("status 600", "HTTP/1.1 600 Hm\r\nContent-Length: 2\r\n\r\nok", Expect.BAD_GATEWAY));
    }

    static Stream<Arguments> malformedFieldLines() {
        return Stream.of(
                args("header line without colon", OK_HEAD + "Broken header\r\nContent-Length: 2\r\n\r\nok",
                        Expect.BAD_GATEWAY),
                args("space in a field name", OK_HEAD + "X-Sp ace: v\r\nContent-Length: 2\r\n\r\nok", Expect.BAD_GATEWAY));
    }

    static Stream<Arguments> unknownTransferCodings() {
        return Stream.of(
                args("TE gzip", OK_HEAD + "Transfer-Encoding: gzip\r\n\r\nfinal", Expect.BAD_GATEWAY),
                args("TE deflate", OK_HEAD + "Transfer-Encoding: deflate\r\n\r\nfinal", Expect.BAD_GATEWAY));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"invalidHeads", "conflictingFraming", "interimAnswers", "repairableResponses"})
    void misbehavingBackend(String name, String raw, Expect expect) throws Exception {
        check(name, Reply.raw(raw), expect, expect != Expect.FINAL);
    }

    /** RFC 9110 15: a status code outside 100-599 is invalid; below 100 it is taken for an interim answer today. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidStatusCodes")
    void statusCodeOutsideTheValidRangeIs502(String name, String raw, Expect expect) throws Exception {
        check(name, Reply.raw(raw), expect, true);
    }

    /** An invalid response field line must not be repaired and relayed: "Broken header" reaches the client as "Broken:". */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedFieldLines")
    void malformedResponseFieldLineIs502(String name, String raw, Expect expect) throws Exception {
        check(name, Reply.raw(raw), expect, true);
    }

    /**
     * A response transfer coding other than chunked: relaying the bytes while relabelling the
     * message "chunked" (the coding name dropped) hands the client coded bytes as plain ones.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unknownTransferCodings")
    void responseTransferCodingOtherThanChunkedIs502(String name, String raw, Expect expect) throws Exception {
        check(name, Reply.raw(raw), expect, true);
    }

    /**
     * Bytes after the declared body that do not form a whole response: they stay in the pooled
     * connection's decoder and the next request on it fails.
     */
    @Test
    void leftoverBytesAfterTheBodyDiscardTheBackendConnection() throws Exception {
        check("body longer than CL: garbage follows", Reply.raw(OK_HEAD + "Content-Length: 5\r\n\r\nfinal, and more"),
                Expect.FINAL, true);
    }

    /**
     * A backend whose body does not match its framing: whatever follows the declared body must
     * never reach the next client request, so the connection cannot be pooled.
     *
     * @param expect null for a 204: the client gets the 204 (without a body)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("bodiesThatLie")
    void backendBodyNotMatchingItsFraming(String name, String raw, Expect expect, boolean closes) throws Exception {
        Reply reply = Reply.raw(raw);
        check(name, closes ? reply.thenClose() : reply, expect, true);
    }

    // ---- the check ------------------------------------------------------------------------------

    /**
     * Sends {@code GET /bad} (answered by {@code bad}), then {@code GET /next} on the same client
     * connection, then {@code GET /after} on a new one; the others are answered "saw <path>".
     */
    private static void check(String name, Reply bad, Expect expect, boolean upstreamMustBeDiscarded) throws Exception {
        try (FakeBackend backend = FakeBackend.start(r -> r.uri().equals("/bad") ? bad
                        : Reply.answer(x -> "saw " + x.uri()));
                Turnout proxy = TestProxy.start(SHORT_TIMEOUTS + TestProxy.singlePool(backend))) {
            String what = name + ": ";
            try (RawClient client = RawClient.connect(proxy.address())) {
                client.send("GET /bad HTTP/1.1\r\nHost: a.test\r\n\r\n");
                RawResponse first = readOrNull(client);
                while (first != null && first.status() / 100 == 1) {
                    first = readOrNull(client); // interim answers are relayed; the final one is checked
                }
                LOG.info("{}{}", what, first == null ? "closed without an answer" : first);
                boolean open = first != null;
                if (expect == null) {
                    assertTrue(first != null && first.status() == 204 && first.bodyLength() == 0, what + first);
                } else if (expect == Expect.CUT) {
                    assertTrue(first == null || first.status() == 200 && first.truncated(), what + first);
                    assertTrue(client.isClosedByPeer(), what + "the client connection must close after a cut answer");
                    open = false;
                } else {
                    int status = switch (expect) {
                        case BAD_GATEWAY -> 502;
                        case GATEWAY_TIMEOUT -> 504;
                        default -> 200;
                    };
                    assertTrue(first != null, what + "no answer at all, expected " + status);
                    assertEquals(status, first.status(), what + first);
                    assertFalse(first.truncated(), what + first);
                    if (expect == Expect.FINAL) {
                        assertEquals("final", first.bodyText(), what + first);
                    }
                    open = !first.closes();
                }
                if (open) {
                    assertOwnAnswerOrClosed(what, client, "/next");
                }
            }
            try (RawClient client = RawClient.connect(proxy.address())) {
                RawResponse after = client.get("a.test", "/after");
                assertEquals("saw /after", after.bodyText(), what + after);
            }
            int badConnection = backend.awaitRequest(0).connectionId();
            for (RecordedRequest r : backend.requests()) {
                assertFalse(r.failed(), what + "the backend could not parse " + r);
                if (upstreamMustBeDiscarded && !r.uri().equals("/bad")) {
                    assertNotEquals(badConnection, r.connectionId(),
                            what + r.uri() + " reused the backend connection of the broken exchange");
                }
            }
        }
    }

    /** On a client connection that stayed open: the next request gets exactly its own answer, or a close. */
    private static void assertOwnAnswerOrClosed(String what, RawClient client, String path) throws IOException {
        try {
            client.send("GET " + path + " HTTP/1.1\r\nHost: a.test\r\n\r\n");
        } catch (IOException closed) {
            return;
        }
        RawResponse next = readOrNull(client);
        if (next != null) {
            assertEquals(200, next.status(), what + "the next request on the connection got " + next);
            assertEquals("saw " + path, next.bodyText(), what + "the next request on the connection got " + next);
        }
    }

    private static RawResponse readOrNull(RawClient client) throws IOException {
        try {
            return client.readResponse();
        } catch (EOFException closed) {
            return null;
        }
    }

    private static String manyHeaders(int count, int valueLength) {
        StringBuilder h = new StringBuilder();
        for (int i = 0; i < count; i++) {
            h.append("X-Filler-").append(i).append(": ").append("v".repeat(valueLength)).append("\r\n");
        }
        return h.toString();
    }

    private static Arguments args(Object... values) {
        return Arguments.of(values);
    }
}
