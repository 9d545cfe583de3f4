package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Http2RequestFieldsTest {

    private static Http2Headers request() {
        return new DefaultHttp2Headers().method("POST").path("/a?b").scheme("https").authority("shop.test")
                .add("content-length", "12").add("x-trace", "one").add("x-trace", "two");
    }

    private static List<String> lines(Http2RequestFields fields) {
        List<String> lines = new ArrayList<>();
        Iterator<Map.Entry<CharSequence, CharSequence>> all = fields.iteratorCharSequence();
        while (all.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = all.next();
            lines.add(field.getKey() + ": " + field.getValue());
        }
        return lines;
    }

    @Test
    void pseudoHeaderFieldsAreHiddenAndTheAuthorityStandsForHost() {
        Http2RequestFields fields = new Http2RequestFields(request());
        assertEquals(List.of("host: shop.test", "content-length: 12", "x-trace: one", "x-trace: two"), lines(fields));
        assertEquals(4, fields.size());
        assertEquals("shop.test", fields.get(HttpHeaderNames.HOST));
        assertEquals("shop.test", fields.get("Host"));
        assertNull(fields.get(":path"));
        assertEquals(List.of("one", "two"), fields.getAll("X-Trace"));
        DefaultHttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/a?b", fields);
        assertEquals(12, HttpUtil.getContentLength(head));
    }

    @Test
    void aHostFieldOfItsOwnIsUsedOnce() {
        Http2RequestFields fields = new Http2RequestFields(request().add("host", "other.test"));
        assertEquals("other.test", fields.get("host"));
        assertEquals(1, lines(fields).stream().filter(line -> line.startsWith("host:")).count());
        assertEquals(4, fields.size());
    }

    @Test
    void editsGoIntoTheFieldsInLowerCase() {
        Http2Headers headers = request();
        Http2RequestFields fields = new Http2RequestFields(headers);
        fields.set("X-Forwarded-For", "192.0.2.1").add("Via", "2 turnout").remove("X-Trace");
        assertEquals("192.0.2.1", String.valueOf(headers.get("x-forwarded-for")));
        assertEquals("2 turnout", fields.get("via"));
        assertFalse(fields.contains("x-trace"));
        assertTrue(fields.contains("X-FORWARDED-FOR"));
        fields.remove(HttpHeaderNames.HOST);
        assertNull(fields.get("host"), "removing Host removes the authority standing for it");
        assertEquals("/a?b", String.valueOf(headers.path()), "the pseudo-header fields are out of reach");
    }

    @Test
    void splitCookieFieldsAreJoinedForHttp11() {
        Http2RequestFields fields = new Http2RequestFields(request().add("cookie", "a=1").add("cookie", "b=2"));
        assertEquals(List.of("a=1; b=2"), fields.getAll("cookie"));
    }
}
