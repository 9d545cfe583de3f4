package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

/** Strong validators (RFC 9110 8.8), If-Range (13.1.5) and which stored answer a 304 selects (RFC 9111 4.3.4). */
class ValidatorsTest {

    private static final String DATE = "Sun, 06 Dec 2026 12:00:00 GMT";
    private static final String A_MINUTE_BEFORE = "Sun, 06 Dec 2026 11:59:00 GMT";
    private static final String SECONDS_BEFORE = "Sun, 06 Dec 2026 11:59:30 GMT";

    private static HttpHeaders fields(String... namesAndValues) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }

    @Test
    void aStrongEtagOrALastModifiedAMinuteBeforeTheDateIsStrong() {
        assertEquals("etag \"v1\"", Validators.strong(fields("ETag", "\"v1\"")));
        assertNull(Validators.strong(fields("ETag", "W/\"v1\"", "Last-Modified", A_MINUTE_BEFORE, "Date", DATE)),
                "a weak ETag says the bytes may differ");
        assertEquals("last-modified " + A_MINUTE_BEFORE,
                Validators.strong(fields("Last-Modified", A_MINUTE_BEFORE, "Date", DATE)));
        assertNull(Validators.strong(fields("Last-Modified", SECONDS_BEFORE, "Date", DATE)), "it may change within a minute");
        assertNull(Validators.strong(fields("Last-Modified", A_MINUTE_BEFORE)), "no Date to tell");
        assertNull(Validators.strong(fields()));
    }

    @Test
    void ifRangeHoldsForTheStrongValidatorOnly() {
        HttpHeaders stored = fields("ETag", "\"v1\"", "Last-Modified", A_MINUTE_BEFORE, "Date", DATE);
        assertTrue(Validators.ifRangeHolds("\"v1\"", stored));
        assertFalse(Validators.ifRangeHolds("\"v2\"", stored));
        assertFalse(Validators.ifRangeHolds("W/\"v1\"", stored), "a weak tag never holds");
        assertTrue(Validators.ifRangeHolds(A_MINUTE_BEFORE, stored));
        assertFalse(Validators.ifRangeHolds(DATE, stored));
        assertFalse(Validators.ifRangeHolds("\"v1\"", fields("ETag", "W/\"v1\"")), "nor a weak stored one");
        assertFalse(Validators.ifRangeHolds(SECONDS_BEFORE, fields("Last-Modified", SECONDS_BEFORE, "Date", DATE)),
                "a Last-Modified too close to its Date is weak");
    }

    @Test
    void a304SelectsTheStoredAnswerItsValidatorsName() {
        HttpHeaders stored = fields("ETag", "\"v1\"", "Last-Modified", A_MINUTE_BEFORE);
        assertTrue(Validators.selects(fields("ETag", "\"v1\""), stored));
        assertFalse(Validators.selects(fields("ETag", "\"v2\""), stored));
        assertTrue(Validators.selects(fields("ETag", "W/\"v1\""), stored), "a weak tag, weakly");
        assertFalse(Validators.selects(fields("ETag", "\"v1\""), fields("ETag", "W/\"v1\"")),
                "a strong tag needs the same strong one");
        assertTrue(Validators.selects(fields("Last-Modified", A_MINUTE_BEFORE), stored));
        assertFalse(Validators.selects(fields("Last-Modified", DATE), stored));
        assertTrue(Validators.selects(fields(), fields()), "no validator on either side");
        assertFalse(Validators.selects(fields(), stored), "no validator, but the stored answer has one");
    }
}
