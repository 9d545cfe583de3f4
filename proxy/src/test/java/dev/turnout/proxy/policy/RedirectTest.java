package dev.turnout.proxy.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.FullHttpResponse;
import org.junit.jupiter.api.Test;

class RedirectTest {

    @Test
    void fillsEachPlaceholderFromTheRequest() {
        Redirect redirect = new Redirect("{scheme}://www.{host}/v2{path}{query}#top", 301);
        assertEquals("http://www.a.test/v2/p/q?x=1&y=2#top", redirect.location(false, "a.test:8080", "/p/q?x=1&y=2"));
        assertEquals("https://www.[::1]/v2/p#top", redirect.location(true, "[::1]:8443", "/p"));
        assertEquals("http://www./v2/#top", redirect.location(false, null, "/"), "an HTTP/1.0 request may have no Host");
    }

    @Test
    void answersItsStatusWithLocationAndNoBody() {
        FullHttpResponse answer = new Redirect("https://{host}{path}", 308).answer(false, "a.test", "/moved?q");
        try {
            assertEquals(308, answer.status().code());
            assertEquals("https://a.test/moved", answer.headers().get("Location"), "{query} was not asked for");
            assertEquals("0", answer.headers().get("Content-Length"));
        } finally {
            answer.release();
        }
    }

    @Test
    void refusesUnknownPlaceholdersAndStatuses() {
        assertNull(Redirect.problem("/{path}"));
        assertTrue(Redirect.problem("https://{hostname}/").contains("not {hostname}"));
        assertTrue(Redirect.problem("https://{host").contains("not {host"));
        assertTrue(Redirect.problem("https://a b/").contains("no spaces"));
        assertTrue(Redirect.problem("").contains("a URL"));
        assertThrows(IllegalArgumentException.class, () -> new Redirect("/x", 200));
        assertThrows(IllegalArgumentException.class, () -> new Redirect("/{x}", 302));
    }
}
