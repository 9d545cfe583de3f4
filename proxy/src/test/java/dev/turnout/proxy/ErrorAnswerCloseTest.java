package dev.turnout.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Error answers that end a connection reach the client whole: the client may still be sending
 * (the rest of an oversized head or body), and a close with its bytes unread would reset the
 * connection and could destroy the answer (RFC 9112 9.6). Each case reads the whole answer on a
 * raw socket and then sees the connection end with a FIN, not a reset.
 */
class ErrorAnswerCloseTest {

    private FakeBackend backend;
    private Turnout proxy;

    @BeforeEach
    void start() throws Exception {
        backend = FakeBackend.start(Reply.answer(r -> r.protocol() + " " + r.uri()));
        proxy = TestProxy.start(backend);
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    private void assertAnsweredWholeThenFin(byte[] request, int status, String bodyStart) throws Exception {
        try (RawClient client = RawClient.connect(proxy.address())) {
            client.send(request);
            RawResponse answer = client.readResponse();
            assertEquals(status, answer.status(), answer::toString);
            assertFalse(answer.truncated(), "the whole answer arrives: " + answer);
            assertTrue(answer.bodyText().startsWith(bodyStart), answer::toString);
            assertTrue(answer.closes(), answer::toString);
            assertTrue(client.endsWithFin(), "the connection ends with a FIN, not a reset");
        }
        assertEquals(List.of(), backend.requests(), "nothing reached the backend");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void anOverLongHeaderBlockIs431ReadWhole() throws Exception {
        assertAnsweredWholeThenFin(ascii("GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n"),
                431, "431");
    }

    @Test
    void anOverLongRequestLineIs414ReadWhole() throws Exception {
        assertAnsweredWholeThenFin(ascii("GET /" + "a".repeat(64 * 1024) + " HTTP/1.1\r\nHost: a.test\r\n\r\n"), 414, "414");
    }

    @Test
    void aMegabyteRequestLineIs414ReadWhole() throws Exception {
        assertAnsweredWholeThenFin(ascii("GET /" + "a".repeat(1024 * 1024) + " HTTP/1.1\r\nHost: a.test\r\n\r\n"), 414,
                "414");
    }

    @Test
    void anOverLongChunkExtensionIs400ReadWhole() throws Exception {
        try (RawClient client = RawClient.connect(proxy.address())) {
            client.send(ascii("POST /upload HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n5;ext="
                    + "a".repeat(64 * 1024) + "\r\nhello\r\n0\r\n\r\n"));
            RawResponse answer = client.readResponse();
            assertEquals(400, answer.status(), answer::toString);
            assertFalse(answer.truncated(), "the whole answer arrives: " + answer);
            assertTrue(client.endsWithFin(), "the connection ends with a FIN, not a reset");
        }
        assertTrue(backend.requests().stream().noneMatch(r -> r.bodyLength() > 0), "no body reached the backend");
    }

    @Test
    void aLaterMinorVersionIsSpokenToAsHttp11() throws Exception {
        try (RawClient client = RawClient.connect(proxy.address())) {
            RawResponse answer = client.send("GET /later HTTP/1.2\r\nHost: a.test\r\n\r\n").readResponse();
            assertEquals(200, answer.status(), answer::toString);
            assertEquals("HTTP/1.1", answer.version());
            assertEquals("HTTP/1.1 /later", answer.bodyText(), "forwarded as HTTP/1.1");
            assertFalse(answer.closes(), "kept alive, as HTTP/1.1: " + answer);
            assertEquals(200, client.get("a.test", "/next").status());
        }
        List<RecordedRequest> seen = backend.requests();
        assertEquals(2, seen.size(), seen::toString);
    }
}
