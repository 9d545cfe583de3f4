package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/** What a decoded request head must pass before it is routed, one refusal at a time. */
class RequestAdmissionTest {

    private final Exchange exchange = new Exchange(null, null, null, false);

    private ProxyFailure admit(HttpRequest head) {
        exchange.method = head.method();
        exchange.uri = head.uri();
        exchange.http10Client = head.protocolVersion().equals(HttpVersion.HTTP_1_0);
        return RequestAdmission.admit(head, exchange);
    }

    private static HttpRequest get(String uri, String... hosts) {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        for (String host : hosts) {
            head.headers().add(HttpHeaderNames.HOST, host);
        }
        return head;
    }

    @Test
    void anOrdinaryRequestPassesWithItsHostAndPath() {
        assertNull(admit(get("/a?b=c", "a.test:8080")));
        assertEquals("a.test:8080", exchange.host);
        assertEquals("/a?b=c", exchange.uri);
    }

    @Test
    void hostIsRequiredOnceInHttp11() {
        assertEquals(ProxyFailure.DUPLICATE_HOST, admit(get("/", "a.test", "b.test")));
        assertEquals(ProxyFailure.MISSING_HOST, admit(get("/")));
        HttpRequest http10 = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/");
        assertNull(admit(http10), "HTTP/1.0 may leave it out");
        assertNull(exchange.host);
        assertEquals(ProxyFailure.BAD_HOST, admit(get("/", "a.test/evil")));
    }

    @Test
    void anAbsoluteFormTargetWinsOverHostAndBecomesOriginForm() {
        HttpRequest head = get("http://b.test:81/p?q", "a.test");
        assertNull(admit(head));
        assertEquals("b.test:81", exchange.host);
        assertEquals("/p?q", exchange.uri);
        assertEquals("/p?q", head.uri());
        assertEquals("b.test:81", head.headers().get(HttpHeaderNames.HOST));
    }

    @Test
    void onlyOptionsMayTargetTheAsterisk() {
        assertEquals(ProxyFailure.BAD_TARGET, admit(get("*", "a.test")));
        HttpRequest options = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, "*");
        options.headers().set(HttpHeaderNames.HOST, "a.test");
        assertNull(admit(options));
        assertEquals(ProxyFailure.BAD_TARGET, admit(get("relative", "a.test")));
    }

    @Test
    void codingsAndExpectationsBeyondWhatIsSpokenAreRefused() {
        HttpRequest gzip = get("/", "a.test");
        gzip.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "gzip, chunked");
        assertEquals(ProxyFailure.BAD_TRANSFER_CODING, admit(gzip));

        HttpRequest expect = get("/", "a.test");
        expect.headers().set(HttpHeaderNames.EXPECT, "something-else");
        assertEquals(ProxyFailure.EXPECTATION_FAILED, admit(expect));
        expect.headers().set(HttpHeaderNames.EXPECT, "100-Continue");
        assertNull(admit(expect));
    }
}
