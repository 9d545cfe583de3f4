package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ForwardedHeaders} on its own, on Netty request objects. */
class ForwardedHeadersRewriteTest {

    @Test
    void preparesTheUpstreamRequestInPlace() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/a?b=c");
        request.headers()
                .set("Host", "shop.example")
                .set("X-Forwarded-For", "198.51.100.1")
                .set("Connection", "keep-alive, X-Hop")
                .set("X-Hop", "1")
                .set("Keep-Alive", "timeout=5")
                .set("TE", "trailers")
                .set("Upgrade", "h2c")
                .set("Proxy-Connection", "keep-alive")
                .set("X-Other", "kept");
        ForwardedHeaders.prepareUpstreamRequest(request, "192.0.2.10", true, "shop.example", "10.0.0.5:8080", "rid-1", false);
        HttpHeaders h = request.headers();
        assertEquals(HttpVersion.HTTP_1_1, request.protocolVersion());
        assertEquals("198.51.100.1, 192.0.2.10", h.get("X-Forwarded-For"));
        assertEquals("http", h.get("X-Forwarded-Proto"));
        assertEquals("shop.example", h.get("X-Forwarded-Host"));
        assertEquals("shop.example", h.get("Host"));
        assertEquals("rid-1", h.get("X-Request-Id"));
        for (String hop : new String[] {"Connection", "X-Hop", "Keep-Alive", "TE", "Upgrade", "Proxy-Connection"}) {
            assertFalse(h.contains(hop), hop);
        }
        assertEquals("kept", h.get("X-Other"));
    }

    /** A chain from a peer that is not a trusted proxy could be forged: the backend gets the peer alone. */
    @Test
    void anUntrustedPeersForwardedForIsReplaced() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        request.headers().add("X-Forwarded-For", "203.0.113.7").add("X-Forwarded-For", "10.0.0.2");
        ForwardedHeaders.prepareUpstreamRequest(request, "192.0.2.10", false, "a.test", "10.0.0.5:8080", "rid", false);
        assertEquals(List.of("192.0.2.10"), request.headers().getAll("X-Forwarded-For"));
    }

    @Test
    void aHostlessRequestNamesTheBackend() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/");
        ForwardedHeaders.prepareUpstreamRequest(request, "192.0.2.10", false, null, "10.0.0.5:8080", "rid", false);
        assertEquals("10.0.0.5:8080", request.headers().get("Host"));
        assertNull(request.headers().get("X-Forwarded-Host"));
        assertEquals("192.0.2.10", request.headers().get("X-Forwarded-For"));
    }

    @Test
    void connectionCannotNameAwayTheFraming() {
        HttpHeaders h = new DefaultHttpHeaders()
                .set("Connection", "Content-Length, TRANSFER-ENCODING, host, X-Gone")
                .set("Content-Length", "5")
                .set("Transfer-Encoding", "chunked")
                .set("Host", "a")
                .set("X-Gone", "x");
        ForwardedHeaders.removeHopByHop(h);
        assertEquals("5", h.get("Content-Length"));
        assertEquals("chunked", h.get("Transfer-Encoding"));
        assertEquals("a", h.get("Host"));
        assertFalse(h.contains("X-Gone"));
        assertFalse(h.contains("Connection"));
    }

    @Test
    void connectionTokensAreMatchedWithoutRegardToCaseOrSpacing() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "x-one ,X-TWO,,")
                .set("X-One", "1")
                .set("x-two", "2")
                .set("X-Three", "3");
        ForwardedHeaders.removeHopByHop(h);
        assertFalse(h.contains("X-One"));
        assertFalse(h.contains("X-Two"));
        assertEquals("3", h.get("X-Three"));
    }

    @Test
    void tabsAroundATokenAreOptionalWhitespaceAndKeepAliveNamesItsOwnHeader() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "Keep-Alive,\tX-Tabbed\t, x-keep-alive-ish")
                .set("Keep-Alive", "timeout=5")
                .set("X-Tabbed", "t")
                .set("X-Keep-Alive-Ish", "k")
                .set("X-Kept", "kept");
        ForwardedHeaders.removeHopByHop(h);
        assertFalse(h.contains("X-Tabbed"));
        assertFalse(h.contains("Keep-Alive"));
        assertFalse(h.contains("X-Keep-Alive-Ish"), "a token that only starts like keep-alive is a name like any other");
        assertEquals("kept", h.get("X-Kept"));
    }

    @Test
    void everyConnectionLineCounts() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "keep-alive")
                .add("Connection", "X-Second")
                .set("X-Second", "hop");
        ForwardedHeaders.removeHopByHop(h);
        assertFalse(h.contains("X-Second"), "a header named by the second Connection line is hop-by-hop too");
    }

    @Test
    void requestIdsAreKeptWhenSaneAndReplacedOtherwise() {
        assertEquals("abc-123", ForwardedHeaders.requestId(new DefaultHttpHeaders().set("X-Request-Id", "abc-123")));
        for (String bad : new String[] {"", "has space", "x".repeat(129), "tab\there", "caf\u00e9"}) {
            String id = ForwardedHeaders.requestId(new DefaultHttpHeaders().set("X-Request-Id", bad));
            assertTrue(id.matches("[0-9a-f]{32}"), () -> "replacement for '" + bad + "': " + id);
        }
        String generated = ForwardedHeaders.requestId(new DefaultHttpHeaders());
        assertTrue(generated.matches("[0-9a-f]{32}"), generated);
        assertNotEquals(generated, ForwardedHeaders.newRequestId());
    }
}
