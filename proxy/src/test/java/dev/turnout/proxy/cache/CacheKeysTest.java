package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cache's keys: resource, variant (RFC 9111 4.1), and what purges and invalidations read from them. */
class CacheKeysTest {

    @Test
    void aResourceIsThePoolTheHostInLowerCaseAndTheTarget() {
        String resource = CacheKeys.resource("app", "Shop.Example:8080", "/a?b=C");
        assertEquals("app\nshop.example:8080\n/a?b=C", resource);
        assertEquals("shop.example:8080\n/a?b=C", CacheKeys.target(resource));
        assertEquals("/a?b=C", CacheKeys.requestTarget(resource));
        assertEquals("app\n\n/", CacheKeys.resource("app", null, "/"));
    }

    @Test
    void aVariantAddsTheSelectingValuesAndWithoutVaryIsTheResourceItself() {
        HttpHeaders request = new DefaultHttpHeaders().add("Foo", "1, 2").add("Foo", "3").add("Bar", "");
        String resource = "app\nh\n/r";
        assertSame(resource, CacheKeys.variant(resource, List.of(), request));
        assertEquals(resource + "\nbar=\nbaz\nfoo=1,2,3", CacheKeys.variant(resource, List.of("bar", "baz", "foo"), request));
        assertEquals("/r", CacheKeys.requestTarget(CacheKeys.variant(resource, List.of("foo"), request)));
    }

    @Test
    void varyNamesAreListElementsOfEveryLineTrimmedLowerCaseAndSorted() {
        HttpHeaders response = new DefaultHttpHeaders().add("Vary", "Foo , ACCEPT-Encoding").add("Vary", ",bar");
        assertEquals(List.of("accept-encoding", "bar", "foo"), CacheKeys.varyNames(response));
    }

    @Test
    void onlyReferencesToTheSameHostHaveAPath() {
        assertEquals("/items/1", CacheKeys.sameHostPath("/items/1", "a.test"));
        assertEquals("/items/2", CacheKeys.sameHostPath("http://A.test/items/2", "a.test"));
        assertEquals("/", CacheKeys.sameHostPath("https://a.test", "a.test"));
        assertNull(CacheKeys.sameHostPath("http://b.test/items/2", "a.test"));
        assertNull(CacheKeys.sameHostPath("//b.test/x", "a.test"));
        assertNull(CacheKeys.sameHostPath("items/1", "a.test"));
        assertNull(CacheKeys.sameHostPath(null, "a.test"));
    }
}
