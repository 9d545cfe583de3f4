package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.RecordedRequest;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 9111 (and RFCs 9211, 9213) requirements of a shared cache, each against a real origin on a
 * loopback socket, named by the section it checks. A resource is "reused" when a second request
 * is answered without reaching the origin.
 */
class CacheConformanceTest {

    private static final String FAR_FUTURE = "Thu, 01 Jan 2099 00:00:00 GMT";
    private static final String DATE = "Sun, 06 Dec 2026 12:00:00 GMT";

    private static String config(FakeBackend origin, String extra) {
        return "pools { app { backends = [ " + TestProxy.backend("o", origin, 1) + " ] } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]\n" + extra;
    }

    private static RawResponse get(RawClient client, String path, String... headers) throws Exception {
        StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: a.test\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return client.send(request.append("\r\n").toString()).readResponse();
    }

    /** Two identical GETs; true when the second was answered from the cache. */
    private static boolean reused(Function<RecordedRequest, Reply> origin, String... requestHeaders) throws Exception {
        try (FakeBackend backend = FakeBackend.start(origin);
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r", requestHeaders);
            RawResponse second = get(client, "/r", requestHeaders);
            assertEquals(200, second.status(), second::toString);
            return backend.requestCount() == 1;
        }
    }

    private static Function<RecordedRequest, Reply> answering(Reply reply) {
        return r -> reply;
    }

    // ---- 5.3 Expires --------------------------------------------------------------------------

    @ParameterizedTest(name = "RFC 9111 5.3: invalid Expires \"{0}\" is already expired")
    @ValueSource(strings = {"Thu, 01 Jan 2099 0:00:00 GMT", "Thu, 01 Jan 99 00:00:00 GMT", "Thu, 01 Jan 2099 00:00:00 UTC",
        "Thu, 01 Jan 2099 00:00:00 PST", "Thu, 01-Jan-2099 00:00:00 GMT", "Thu 01 Jan 2099 00:00:00 GMT",
        "Thu,  01 Jan 2099 00:00:00 GMT", "0", "never"})
    void invalidExpiresIsStale(String expires) throws Exception {
        assertTrue(!reused(answering(Reply.ok("x").header("Date", DATE).header("Expires", expires))), expires);
    }

    @DisplayName("RFC 9111 5.3")
    @Test
    void severalExpiresLinesAreInvalid() throws Exception {
        assertTrue(!reused(answering(Reply.ok("x").header("Date", DATE).header("Expires", FAR_FUTURE)
                .header("Expires", FAR_FUTURE))));
    }

    @ParameterizedTest(name = "RFC 9110 5.6.7: Expires \"{0}\" is an HTTP-date")
    @ValueSource(strings = {FAR_FUTURE, "Thursday, 01-Jan-37 00:00:00 GMT", "Thu Jan  1 00:00:00 2099"})
    void eachHttpDateFormatIsAccepted(String expires) throws Exception {
        assertTrue(reused(answering(Reply.ok("x").header("Date", DATE).header("Expires", expires))), expires);
    }

    // ---- 5.1 Age ------------------------------------------------------------------------------

    @ParameterizedTest(name = "RFC 9111 5.1: Age \"{0}\" is not fresh")
    @ValueSource(strings = {"old, 0", "-1", "1.5", "0x10"})
    void anInvalidAgeIsNotFresh(String age) throws Exception {
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "max-age=3600").header("Age", age))), age);
    }

    @DisplayName("RFC 9111 5.1")
    @Test
    void twoAgeLinesAreNotFresh() throws Exception {
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "max-age=3600").header("Age", "1")
                .header("Age", "2"))));
    }

    // ---- 4.3.4 Freshening with 304 -----------------------------------------------------------------

    @DisplayName("RFC 9111 4.3.4")
    @Test
    void aFreshening304ReplacesTheStoredFields() throws Exception {
        // Stored stale (its Age equals its lifetime), so the next request revalidates it.
        Function<RecordedRequest, Reply> origin = r -> r.header("If-None-Match") == null
                ? Reply.ok("body").header("Cache-Control", "max-age=100").header("Age", "100").header("ETag", "\"v1\"")
                        .header("X-Version", "old").header("Content-Foo", "old")
                : Reply.status(304, "").header("Cache-Control", "max-age=100").header("ETag", "\"v1\"")
                        .header("X-Version", "new").header("Content-Foo", "new");
        try (FakeBackend backend = FakeBackend.start(origin);
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("old", get(client, "/r").header("x-version"));
            RawResponse refreshed = get(client, "/r");
            assertEquals(200, refreshed.status());
            assertEquals("body", refreshed.bodyText());
            assertEquals("new", refreshed.header("x-version"), refreshed::toString);
            assertEquals("new", refreshed.header("content-foo"), refreshed::toString);
            RawResponse hit = get(client, "/r");
            assertEquals("new", hit.header("x-version"), "the stored fields were updated: " + hit);
            assertEquals(2, backend.requestCount());
        }
    }

    @DisplayName("RFC 9111 5.2.2.4")
    @Test
    void aNoCacheAnswerWithAValidatorIsStoredAndRevalidatedOnEveryUse() throws Exception {
        Function<RecordedRequest, Reply> origin = r -> r.header("If-None-Match") == null
                ? Reply.ok("body").header("Cache-Control", "no-cache, max-age=60").header("ETag", "\"v1\"")
                : Reply.status(304, "").header("Cache-Control", "no-cache, max-age=60").header("ETag", "\"v1\"");
        try (FakeBackend backend = FakeBackend.start(origin);
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r");
            for (int i = 0; i < 2; i++) {
                RawResponse again = get(client, "/r");
                assertEquals(200, again.status());
                assertEquals("body", again.bodyText(), "the stored body, confirmed by a 304");
            }
            assertEquals(3, backend.requestCount(), "every use asks the origin");
            assertEquals("\"v1\"", backend.requests().get(1).header("If-None-Match"));
            assertEquals("\"v1\"", backend.requests().get(2).header("If-None-Match"));
        }
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "no-cache, max-age=60"))),
                "without a validator it cannot be revalidated, so it is not stored");
    }

    // ---- 4.1 Vary -----------------------------------------------------------------------------

    @DisplayName("RFC 9111 4.1")
    @Test
    void aVariantIsReusedOnlyWhenItsSelectingHeadersMatch() throws Exception {
        try (FakeBackend backend = FakeBackend.start(r -> Reply.ok("foo=" + r.header("Foo"))
                .header("Cache-Control", "max-age=60").header("Vary", "Bar, Foo"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r", "Foo: 1, 2");
            assertEquals("HIT", get(client, "/r", "Foo: 1,2").header("x-cache"), "whitespace after commas is normalised");
            assertEquals("HIT", get(client, "/r", "Foo: 1", "Foo: 2").header("x-cache"), "several lines are one list");
            assertEquals("MISS", get(client, "/r", "Foo: 2, 1").header("x-cache"), "order within a value matters");
            assertEquals("MISS", get(client, "/r").header("x-cache"), "absent is not a match");
            assertEquals("MISS", get(client, "/r", "Foo:").header("x-cache"), "empty is not absent");
            assertEquals("HIT", get(client, "/r").header("x-cache"), "the absent variant was stored");
        }
    }

    @ParameterizedTest(name = "RFC 9111 4.1: Vary \"{0}\" never matches")
    @ValueSource(strings = {"*", ", *", "Foo, *", "*, *"})
    void aVaryStarNeverMatches(String vary) throws Exception {
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "max-age=60").header("Vary", vary))), vary);
    }

    @DisplayName("RFC 9111 4.1")
    @Test
    void aVaryStarOnAnotherLineNeverMatches() throws Exception {
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "max-age=60").header("Vary", "Foo")
                .header("Vary", "*"))));
    }

    // ---- 3 and 4.2.2 Which statuses are stored ------------------------------------------------------

    @ParameterizedTest(name = "RFC 9111 3: a fresh {0} is stored")
    @ValueSource(ints = {203, 299, 302, 303, 307, 400, 404, 500, 502, 503, 504})
    void anyFinalStatusWithExplicitFreshnessIsStored(int status) throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.status(status, "s").header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r");
            RawResponse second = get(client, "/r");
            assertEquals(status, second.status());
            assertEquals(1, backend.requestCount(), "status " + status + " reused");
        }
    }

    @DisplayName("RFC 9111 5.2.2.3")
    @Test
    void mustUnderstandWithAnUnknownStatusIsNotStored() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.status(299, "s")
                .header("Cache-Control", "max-age=60, must-understand, no-store"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r");
            get(client, "/r");
            assertEquals(2, backend.requestCount());
        }
    }

    // ---- 4.2.2 Heuristic freshness -----------------------------------------------------------------

    /** 100,000 s before {@link #DATE}: a tenth of that is 10,000 s of heuristic freshness. */
    private static final String MODIFIED = "Sat, 05 Dec 2026 08:13:20 GMT";

    /** Two GETs of one answer through a proxy with {@code extraConfig}; the origin's request count goes to {@code origin[0]}. */
    private static RawResponse twice(Reply reply, String extraConfig, int[] originRequests) throws Exception {
        try (FakeBackend backend = FakeBackend.start(reply);
                Turnout proxy = TestProxy.start(config(backend, extraConfig));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r");
            RawResponse second = get(client, "/r");
            originRequests[0] = backend.requestCount();
            return second;
        }
    }

    @ParameterizedTest(name = "RFC 9111 4.2.2: a {0} with Last-Modified and no explicit freshness is fresh by heuristic")
    @ValueSource(ints = {200, 203, 300, 301, 308, 404, 405, 410, 414, 501})
    void aHeuristicallyCacheableStatusIsReusedByHeuristic(int status) throws Exception {
        int[] origin = new int[1];
        RawResponse second = twice(Reply.status(status, "s").header("Date", DATE).header("Last-Modified", MODIFIED), "",
                origin);
        assertEquals(status, second.status());
        assertEquals(1, origin[0], "status " + status + " reused");
        assertTrue(second.header("cache-status").matches("Turnout; hit; ttl=(9999|10000)"), second::toString);
    }

    @ParameterizedTest(name = "RFC 9110 15.1: a {0} is not heuristically cacheable")
    @ValueSource(ints = {201, 202, 302, 307, 400, 500, 503})
    void otherStatusesAreNotReusedByHeuristic(int status) throws Exception {
        int[] origin = new int[1];
        twice(Reply.status(status, "s").header("Date", DATE).header("Last-Modified", MODIFIED), "", origin);
        assertEquals(2, origin[0], "status " + status);
    }

    @DisplayName("RFC 9111 4.2.2: public makes any final status heuristically cacheable")
    @Test
    void aPublicAnswerIsReusedByHeuristic() throws Exception {
        int[] origin = new int[1];
        twice(Reply.status(302, "s").header("Date", DATE).header("Last-Modified", MODIFIED).header("Cache-Control", "public"),
                "", origin);
        assertEquals(1, origin[0]);
    }

    @ParameterizedTest(name = "RFC 9111 4.2.2: no heuristic beside explicit freshness \"{0}\"")
    @ValueSource(strings = {"Expires", "max-age=0", "s-maxage=0", "no-cache"})
    void explicitFreshnessIsNeverReplacedByAHeuristic(String explicit) throws Exception {
        Reply reply = Reply.ok("s").header("Date", DATE).header("Last-Modified", MODIFIED);
        reply = explicit.equals("Expires") ? reply.header("Expires", DATE) : reply.header("Cache-Control", explicit);
        int[] origin = new int[1];
        twice(reply, "", origin);
        assertEquals(2, origin[0], explicit);
    }

    @DisplayName("RFC 9111 4.2.2: without Last-Modified, or with heuristic-max = 0s, nothing is guessed")
    @Test
    void noHeuristicWithoutLastModifiedOrWhenSwitchedOff() throws Exception {
        int[] origin = new int[1];
        twice(Reply.ok("s").header("Date", DATE), "", origin);
        assertEquals(2, origin[0], "no Last-Modified");
        twice(Reply.ok("s").header("Date", DATE).header("Last-Modified", MODIFIED), "cache.heuristic-max = 0s", origin);
        assertEquals(2, origin[0], "switched off");
        RawResponse capped = twice(Reply.ok("s").header("Date", DATE).header("Last-Modified", MODIFIED),
                "cache.heuristic-max = 60s", origin);
        assertTrue(capped.header("cache-status").matches("Turnout; hit; ttl=(59|60)"), capped::toString);
    }

    // ---- 4.2.4 Serving stale -----------------------------------------------------------------------

    @DisplayName("RFC 9111 5.2.2.10")
    @Test
    void sMaxAgeForbidsServingStale() throws Exception {
        // Stale on arrival (Age past s-maxage), with a window that would otherwise allow serving it stale.
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "s-maxage=10, stale-while-revalidate=600")
                .header("Age", "20").header("ETag", "\"e\""))));
    }

    @DisplayName("RFC 5861")
    @Test
    void staleWhileRevalidateServesStaleWithinItsWindow() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x")
                .header("Cache-Control", "max-age=10, stale-while-revalidate=600").header("Age", "20"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r");
            assertEquals("STALE", get(client, "/r").header("x-cache"));
        }
    }

    // ---- 3.1 Stored header fields -------------------------------------------------------------------

    @DisplayName("RFC 9111 3.1")
    @Test
    void setCookieIsStoredWhenTheAnswerIsExplicitlyShareable() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x").header("Cache-Control", "public, max-age=60")
                .header("Set-Cookie", "a=b"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r");
            RawResponse hit = get(client, "/r");
            assertEquals("HIT", hit.header("x-cache"));
            assertEquals("a=b", hit.header("set-cookie"));
        }
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "max-age=60").header("Set-Cookie", "a=b"))),
                "without public or s-maxage an answer that sets a cookie is not shared");
    }

    // ---- 3.4 and RFC 9110 14 Partial content ------------------------------------------------------

    @DisplayName("RFC 9111 3.4, RFC 9110 14.2")
    @Test
    void aRangeIsAnsweredFromACompleteStoredAnswer() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("0123456789").header("Cache-Control", "max-age=60")
                .header("ETag", "\"v1\""));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r");
            RawResponse part = get(client, "/r", "Range: bytes=2-5");
            assertEquals(206, part.status(), part::toString);
            assertEquals("2345", part.bodyText());
            assertEquals("bytes 2-5/10", part.header("content-range"));
            assertEquals("789", get(client, "/r", "Range: bytes=-3").bodyText());
            assertEquals("89", get(client, "/r", "Range: bytes=8-100").bodyText());
            RawResponse past = get(client, "/r", "Range: bytes=20-");
            assertEquals(416, past.status());
            assertEquals("bytes */10", past.header("content-range"));
            assertEquals(200, get(client, "/r", "Range: bytes=0-1, 4-5").status(), "several ranges: the whole answer");
            assertEquals(200, get(client, "/r", "Range: bytes=2-5", "If-Range: \"v0\"").status(), "If-Range not matched");
            assertEquals(206, get(client, "/r", "Range: bytes=2-5", "If-Range: \"v1\"").status(), "If-Range matched");
            assertEquals(1, backend.requestCount());
        }
    }

    /** The one representation the range origins serve. */
    private static final String WHOLE = "0123456789";

    /**
     * {@link #WHOLE} as an origin serves it (RFC 9110 14): a request for one byte range gets 206 with
     * that range, any other gets 200 with all of it; each with {@code fields} (name, value, ...).
     */
    private static Reply representation(RecordedRequest request, String... fields) {
        String range = request.header("Range");
        Reply reply;
        if (range == null || range.contains(",")) {
            reply = Reply.ok(WHOLE);
        } else {
            String[] bounds = range.substring("bytes=".length()).split("-");
            int first = Integer.parseInt(bounds[0]);
            int last = Math.min(Integer.parseInt(bounds[1]), WHOLE.length() - 1);
            reply = Reply.status(206, WHOLE.substring(first, last + 1))
                    .header("Content-Range", "bytes " + first + "-" + last + "/" + WHOLE.length());
        }
        for (int i = 0; i < fields.length; i += 2) {
            reply.header(fields[i], fields[i + 1]);
        }
        return reply;
    }

    @DisplayName("RFC 9111 3.3")
    @Test
    void a206IsStoredAsAPartAndAnswersTheRangesItHolds() throws Exception {
        try (FakeBackend backend = FakeBackend.start(r -> representation(r, "ETag", "\"v1\"", "Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse first = get(client, "/r", "Range: bytes=2-6");
            assertEquals("23456", first.bodyText());
            assertEquals("Turnout; fwd=uri-miss; stored", first.header("cache-status"));
            RawResponse within = get(client, "/r", "Range: bytes=3-5");
            assertEquals(206, within.status(), within::toString);
            assertEquals("345", within.bodyText());
            assertEquals("bytes 3-5/10", within.header("content-range"));
            assertEquals("HIT", within.header("x-cache"));
            assertEquals("\"v1\"", within.header("etag"));
            assertEquals(1, backend.requestCount());

            RawResponse beyond = get(client, "/r", "Range: bytes=5-8");
            assertEquals("5678", beyond.bodyText(), "a range the part does not hold goes to the origin");
            assertEquals("Turnout; fwd=partial; stored", beyond.header("cache-status"));
            assertEquals("2345678", get(client, "/r", "Range: bytes=2-8").bodyText(), "the two parts joined");
            assertEquals(2, backend.requestCount());
        }
    }

    @DisplayName("RFC 9111 3.3")
    @Test
    void anIncompleteAnswerAnswersNothingButRangesItHolds() throws Exception {
        try (FakeBackend backend = FakeBackend.start(r -> representation(r, "ETag", "\"v1\"", "Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r", "Range: bytes=0-4");
            assertEquals("MISS", get(client, "/r", "Range: bytes=0-1", "If-None-Match: \"v1\"").header("x-cache"),
                    "a condition of the client's own");
            assertEquals("MISS", get(client, "/r", "Range: bytes=0-1", "If-Range: \"v0\"").header("x-cache"),
                    "an If-Range that does not hold");
            client.send("HEAD /r HTTP/1.1\r\nHost: a.test\r\n\r\n");
            assertEquals("MISS", client.readResponse(true, false).header("x-cache"), "HEAD asks for the whole");
            assertEquals(4, backend.requestCount());
            RawResponse whole = get(client, "/r");
            assertEquals(200, whole.status());
            assertEquals(WHOLE, whole.bodyText(), "never the part as a whole");
            assertEquals("HIT", get(client, "/r").header("x-cache"), "the whole answer took the part's place");
            assertEquals(5, backend.requestCount());

            get(client, "/s", "Range: bytes=0-4");
            assertEquals("MISS", get(client, "/s", "Range: bytes=0-1, 3-4").header("x-cache"), "several ranges");
            assertEquals(7, backend.requestCount());
        }
    }

    @DisplayName("RFC 9111 3.4, RFC 9110 15.3.7.3")
    @Test
    void partsOfOneRepresentationAreCombinedAndTheWholeIsServed() throws Exception {
        try (FakeBackend backend = FakeBackend.start(r -> representation(r, "ETag", "\"v1\"", "Cache-Control", "max-age=60",
                "X-Part", r.header("Range")));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r", "Range: bytes=0-3");
            get(client, "/r", "Range: bytes=2-9");
            RawResponse whole = get(client, "/r");
            assertEquals(200, whole.status(), whole::toString);
            assertEquals(WHOLE, whole.bodyText());
            assertEquals("10", whole.header("content-length"));
            assertNull(whole.header("content-range"));
            assertEquals("HIT", whole.header("x-cache"));
            assertEquals("bytes=2-9", whole.header("x-part"), "the newest part's fields");
            RawResponse range = get(client, "/r", "Range: bytes=4-5");
            assertEquals(206, range.status());
            assertEquals("45", range.bodyText());
            assertEquals("bytes 4-5/10", range.header("content-range"));
            assertEquals(416, get(client, "/r", "Range: bytes=20-").status(), "its length is known now");
            assertEquals(2, backend.requestCount());
        }
    }

    @DisplayName("RFC 9111 3.4, RFC 9110 8.8.1")
    @Test
    void partsOfDifferentRepresentationsAreNotCombined() throws Exception {
        AtomicInteger version = new AtomicInteger();
        try (FakeBackend backend = FakeBackend.start(r -> representation(r, "ETag", "\"v" + version.incrementAndGet() + "\"",
                "Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r", "Range: bytes=0-4");
            get(client, "/r", "Range: bytes=5-9");
            assertEquals("HIT", get(client, "/r", "Range: bytes=5-9").header("x-cache"), "the newer representation's part");
            assertEquals("MISS", get(client, "/r", "Range: bytes=0-4").header("x-cache"), "the older one's was dropped");
            assertEquals("MISS", get(client, "/r").header("x-cache"), "so nothing makes the whole");
            assertEquals(4, backend.requestCount());
        }
    }

    @ParameterizedTest(name = "RFC 9111 3.3, 3.4: a part with ETag {0}, Last-Modified {1}, Content-Range {2} stored: {3}")
    @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
            "v1"    | none                          | bytes 0-4/10 | true
            none    | Sun, 06 Dec 2026 11:59:00 GMT | bytes 0-4/10 | true
            W/"v1"  | none                          | bytes 0-4/10 | false
            none    | Sun, 06 Dec 2026 11:59:30 GMT | bytes 0-4/10 | false
            none    | none                          | bytes 0-4/10 | false
            "v1"    | none                          | bytes 0-4/*  | false
            """)
    void onlyAPartWithAStrongValidatorAndAKnownLengthIsStored(String etag, String lastModified, String contentRange,
            boolean stored) throws Exception {
        Reply part = Reply.status(206, "01234").header("Content-Range", contentRange).header("Date", DATE)
                .header("Cache-Control", "max-age=60");
        part = etag == null ? part : part.header("ETag", etag);
        part = lastModified == null ? part : part.header("Last-Modified", lastModified);
        try (FakeBackend backend = FakeBackend.start(part);
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/r", "Range: bytes=0-4");
            RawResponse second = get(client, "/r", "Range: bytes=0-4");
            assertEquals("01234", second.bodyText());
            assertEquals(stored ? 1 : 2, backend.requestCount(), second::toString);
        }
    }

    @DisplayName("RFC 9111 3.4, 3.2")
    @Test
    void a206OfTheStoredRepresentationUpdatesItsFields() throws Exception {
        try (FakeBackend backend = FakeBackend.start(r -> representation(r, "ETag", "\"v1\"", "Cache-Control", "max-age=60",
                "X-Version", r.header("Range") == null ? "old" : "new"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("old", get(client, "/r").header("x-version"));
            RawResponse part = get(client, "/r", "Range: bytes=0-1", "Cache-Control: no-cache");
            assertEquals(206, part.status(), "the client asked the origin");
            RawResponse hit = get(client, "/r");
            assertEquals("HIT", hit.header("x-cache"));
            assertEquals(WHOLE, hit.bodyText(), "the stored body stays");
            assertEquals("new", hit.header("x-version"), "the part's fields replaced the stored ones");
            assertNull(hit.header("content-range"));
            assertEquals(2, backend.requestCount());
        }
    }

    @DisplayName("RFC 9111 4.3.4")
    @Test
    void a304ToTheClientsOwnConditionalRequestUpdatesTheAnswerItSelects() throws Exception {
        // Stored stale (Age equals the lifetime); /other's 304 names another representation.
        Function<RecordedRequest, Reply> origin = r -> r.header("If-None-Match") == null
                ? Reply.ok("body").header("Cache-Control", "max-age=100").header("Age", "100").header("ETag", "\"v1\"")
                        .header("X-Version", "old")
                : Reply.status(304, "").header("Cache-Control", "max-age=100")
                        .header("ETag", r.uri().equals("/other") ? "\"v2\"" : "\"v1\"").header("X-Version", "new");
        try (FakeBackend backend = FakeBackend.start(origin);
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            for (String path : new String[] {"/r", "/other"}) {
                get(client, path);
                assertEquals(304, get(client, path, "If-None-Match: \"v1\"").status(), "the origin's own answer");
            }
            RawResponse updated = get(client, "/r");
            assertEquals("HIT", updated.header("x-cache"), "fresh again: " + updated);
            assertEquals("new", updated.header("x-version"));
            assertEquals("body", updated.bodyText());
            assertEquals(4, backend.requestCount());
            RawResponse other = get(client, "/other");
            assertTrue(other.header("cache-status").startsWith("Turnout; fwd=stale"),
                    "a 304 for another representation left it stale: " + other);
            assertEquals(5, backend.requestCount());
        }
    }

    @DisplayName("RFC 9110 13.1.5")
    @Test
    void anIfRangeDateHoldsOnlyForAStrongLastModified() throws Exception {
        String aMinuteBefore = "Sun, 06 Dec 2026 11:59:00 GMT";
        String secondsBefore = "Sun, 06 Dec 2026 11:59:30 GMT";
        try (FakeBackend backend = FakeBackend.start(r -> Reply.ok(WHOLE).header("Cache-Control", "max-age=60")
                .header("Date", DATE).header("Last-Modified", r.uri().equals("/strong") ? aMinuteBefore : secondsBefore));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            get(client, "/strong");
            get(client, "/weak");
            assertEquals(206, get(client, "/strong", "Range: bytes=0-1", "If-Range: " + aMinuteBefore).status());
            assertEquals(200, get(client, "/weak", "Range: bytes=0-1", "If-Range: " + secondsBefore).status(),
                    "changed twice within a minute, perhaps: the whole answer");
            assertEquals(2, backend.requestCount());
        }
    }

    // ---- 4.4 Invalidation -----------------------------------------------------------------------------

    @DisplayName("RFC 9111 4.4")
    @Test
    void anUnsafeRequestInvalidatesItsTargetAndTheLocationsItsAnswerNames() throws Exception {
        try (FakeBackend backend = FakeBackend.start(r -> r.method().equals("POST")
                ? Reply.status(201, "made").header("Location", "/items/1").header("Content-Location", "http://a.test/items/2")
                : Reply.ok("item").header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            for (String path : new String[] {"/items/1", "/items/2", "/items/3"}) {
                get(client, path);
                assertEquals("HIT", get(client, path).header("x-cache"));
            }
            client.send("POST /items HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\n{}");
            assertEquals(201, client.readResponse().status());
            assertEquals("MISS", get(client, "/items/1").header("x-cache"), "Location");
            assertEquals("MISS", get(client, "/items/2").header("x-cache"), "Content-Location on the same host");
            assertEquals("HIT", get(client, "/items/3").header("x-cache"), "another resource");
        }
    }

    // ---- RFC 9213 targeted cache control ------------------------------------------------------------

    @DisplayName("RFC 9213")
    @Test
    void cdnCacheControlGovernsThisCacheAndPassesDownstreamUnchanged() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x").header("Cache-Control", "no-store")
                .header("CDN-Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("max-age=60", get(client, "/r").header("cdn-cache-control"));
            RawResponse hit = get(client, "/r");
            assertEquals("HIT", hit.header("x-cache"));
            assertEquals("no-store", hit.header("cache-control"), "Cache-Control is for the caches after us");
            assertEquals(1, backend.requestCount());
        }
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "max-age=60")
                .header("CDN-Cache-Control", "no-store"))), "CDN-Cache-Control: no-store wins");
        assertTrue(!reused(answering(Reply.ok("x").header("Cache-Control", "max-age=60")
                .header("CDN-Cache-Control", "private"))), "CDN-Cache-Control: private wins");
        assertTrue(reused(answering(Reply.ok("x").header("Cache-Control", "max-age=60")
                .header("CDN-Cache-Control", "max-age=60,,"))), "a CDN-Cache-Control that does not parse is ignored");
        assertTrue(reused(answering(Reply.ok("x").header("CDN-Cache-Control", "no-store")
                .header("Turnout-Cache-Control", "max-age=60"))), "Turnout-Cache-Control wins over CDN-Cache-Control");
        assertTrue(!reused(answering(Reply.ok("x").header("CDN-Cache-Control", "max-age=\"60\""))),
                "a max-age that is not an integer is ignored");
    }

    // ---- Purge by surrogate key ---------------------------------------------------------------------

    @DisplayName("Surrogate-Key and Cache-Tag purges")
    @Test
    void answersAreDroppedByTheTagsTheirOriginGaveThem() throws Exception {
        try (FakeBackend backend = FakeBackend.start(r -> switch (r.uri()) {
            case "/product/42" -> Reply.ok("p").header("Cache-Control", "max-age=60").header("Surrogate-Key", "product-42 all");
            case "/list" -> Reply.ok("l").header("Cache-Control", "max-age=60").header("Cache-Tag", "all, lists");
            default -> Reply.ok("o").header("Cache-Control", "max-age=60");
        });
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            for (String path : new String[] {"/product/42", "/list", "/other"}) {
                RawResponse miss = get(client, path);
                assertNull(miss.header("surrogate-key"), "tags are not for the client: " + miss);
                assertNull(miss.header("cache-tag"), miss::toString);
                assertEquals("HIT", get(client, path).header("x-cache"));
            }
            assertEquals(1, proxy.control().purgeCacheTags(Set.of("product-42")));
            assertEquals("MISS", get(client, "/product/42").header("x-cache"));
            assertEquals("HIT", get(client, "/list").header("x-cache"));
            assertEquals(2, proxy.control().purgeCacheTags(Set.of("all")));
            assertEquals("MISS", get(client, "/list").header("x-cache"));
            assertEquals("HIT", get(client, "/other").header("x-cache"));
        }
    }

    // ---- RFC 9211 Cache-Status ---------------------------------------------------------------------

    @DisplayName("RFC 9211")
    @Test
    void cacheStatusSaysHowEachAnswerWasServed() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x").header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient client = RawClient.connect(proxy.address())) {
            assertEquals("Turnout; fwd=uri-miss; stored", get(client, "/r").header("cache-status"));
            String hit = get(client, "/r").header("cache-status");
            assertTrue(hit.matches("Turnout; hit; ttl=(60|59)"), hit);
            assertEquals("Turnout; fwd=request; stored", get(client, "/r", "Cache-Control: no-cache")
                    .header("cache-status"));
            client.send("POST /r HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\n\r\nx");
            assertEquals("Turnout; fwd=method", client.readResponse().header("cache-status"));
        }
        try (FakeBackend backend = FakeBackend.start(Reply.ok("x").header("Cache-Control", "max-age=60"));
                Turnout proxy = TestProxy.start(config(backend, "cache.status-header = false"));
                RawClient client = RawClient.connect(proxy.address())) {
            assertNull(get(client, "/r").header("cache-status"));
            assertNull(get(client, "/r").header("cache-status"), "off for hits too");
        }
    }
}
