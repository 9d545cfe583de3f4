package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A stored answer: the fields prepared for hits, and the labels of each second. */
class CachedResponseTest {

    private static final long SECOND = 1_000_000_000L;

    private static CachedResponse stored(HttpHeaders fields, byte[] body, PartialContent parts) {
        return new CachedResponse(200, fields, body, parts, new Freshness(0, 3, 60, 0, 0, false), false, 1, Set.of());
    }

    /** The value of {@code name} as the encoder gets it. */
    private static CharSequence raw(HttpHeaders headers, String name) {
        for (Iterator<Map.Entry<CharSequence, CharSequence>> fields = headers.iteratorCharSequence(); fields.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = fields.next();
            if (AsciiString.contentEqualsIgnoreCase(field.getKey(), name)) {
                return field.getValue();
            }
        }
        return null;
    }

    @Test
    void eachHitGetsItsOwnCopyOfThePreparedFieldsWithTheBodysLength() {
        HttpHeaders fields = new DefaultHttpHeaders().add("Content-Type", "text/plain").add("X-Name", "caf\u00e9");
        CachedResponse stored = stored(fields, new byte[10], null);
        HttpHeaders first = stored.wholeAnswerHeaders();
        assertEquals("10", first.get("content-length"));
        assertInstanceOf(AsciiString.class, raw(first, "content-type"), "ASCII values are prepared as bytes");
        assertInstanceOf(String.class, raw(first, "x-name"), "a value that is not ASCII stays as it was, for the encoder");
        assertEquals("caf\u00e9", first.get("x-name"));
        first.set("content-type", "changed").add("vary", "accept-encoding");
        HttpHeaders second = stored.wholeAnswerHeaders();
        assertEquals("text/plain", second.get("content-type"), "one hit's changes stay its own");
        assertFalse(second.contains("vary"));
        assertEquals(2, fields.size(), "the stored fields themselves are left as they were");
        assertFalse(fields.contains("content-length"));
    }

    @Test
    void theLabelsOfASecondAreMadeOnce() {
        CachedResponse stored = stored(new DefaultHttpHeaders(), new byte[1], null);
        AsciiString age = stored.age(SECOND / 2);
        assertEquals("3", age.toString(), "the initial age");
        assertSame(age, stored.age(SECOND - 1), "the same second");
        assertEquals("Turnout; hit; ttl=57", stored.hitStatus(SECOND - 1).toString());
        AsciiString later = stored.age(5 * SECOND);
        assertNotSame(age, later);
        assertEquals("8", later.toString());
        assertEquals("Turnout; hit; ttl=52", stored.hitStatus(5 * SECOND).toString());
        assertEquals("Turnout; fwd=stale; ttl=52", stored.cacheStatus("fwd=stale", 5 * SECOND));
    }

    @Test
    void aPlainHitsFieldsComeLabelledAndEachHitHasItsOwn() {
        CachedResponse stored = stored(new DefaultHttpHeaders().add("ETag", "\"v1\""), new byte[4], null);
        HttpHeaders hit = stored.hitHeaders(2 * SECOND, true);
        assertEquals("\"v1\"", hit.get("etag"));
        assertEquals("4", hit.get("content-length"));
        assertEquals("5", hit.get("age"));
        assertEquals("HIT", hit.get("x-cache"));
        assertEquals("Turnout; hit; ttl=55", hit.get("cache-status"));
        hit.set("x-cache", "changed").add("connection", "close");
        HttpHeaders next = stored.hitHeaders(2 * SECOND, false);
        assertEquals("HIT", next.get("x-cache"), "one hit's changes stay its own");
        assertFalse(next.contains("connection"));
        assertFalse(next.contains("cache-status"), "Cache-Status switched off");
        assertEquals("6", stored.hitHeaders(3 * SECOND, true).get("age"), "the next second");
    }

    @Test
    void anIncompleteAnswerHasNoBodyAndWeighsWhatItHolds() {
        PartialContent parts = PartialContent.of(1000, 0, new byte[100]).with(500, new byte[200]);
        CachedResponse incomplete = stored(new DefaultHttpHeaders(), null, parts);
        assertFalse(incomplete.complete());
        assertNull(incomplete.body());
        CachedResponse complete = stored(new DefaultHttpHeaders(), new byte[300], null);
        assertTrue(complete.complete());
        assertEquals(complete.weight(), incomplete.weight(), "300 bytes either way");
    }
}
