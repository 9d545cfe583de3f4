package dev.turnout.proxy.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderRulesTest {

    @Test
    void removesThenSetsThenAdds() {
        Map<String, String> set = new LinkedHashMap<>();
        set.put("X-Env", "prod");
        set.put("Cache-Control", "no-store");
        HeaderRules rules = new HeaderRules(set, Map.of("Via", "1.1 turnout"), List.of("X-Debug", "Via"));
        HttpHeaders headers = new DefaultHttpHeaders().add("x-env", "dev").add("X-Env", "test").add("X-Debug", "1")
                .add("Via", "1.1 edge").add("Kept", "k");

        rules.apply(headers);

        assertEquals(List.of("prod"), headers.getAll("X-Env"), "set replaces every line of the name, in any case");
        assertFalse(headers.contains("X-Debug"));
        assertEquals(List.of("1.1 turnout"), headers.getAll("Via"), "removed first, then added");
        assertEquals("no-store", headers.get("Cache-Control"));
        assertEquals("k", headers.get("Kept"));
        assertEquals("remove X-Debug, Via; set X-Env: prod; set Cache-Control: no-store; add Via: 1.1 turnout",
                rules.toString());
    }

    @Test
    void addKeepsTheLinesThereAre() {
        HttpHeaders headers = new DefaultHttpHeaders().add("Vary", "Accept-Encoding");
        new HeaderRules(Map.of(), Map.of("Vary", "Cookie"), List.of()).apply(headers);
        assertEquals(List.of("Accept-Encoding", "Cookie"), headers.getAll("Vary"));
    }

    @Test
    void refusesFramingHeadersBadNamesAndBadValues() {
        assertNull(HeaderRules.nameProblem("Strict-Transport-Security"));
        for (String owned : new String[] {"Content-Length", "transfer-encoding", "Connection", "Upgrade", "TE"}) {
            assertTrue(HeaderRules.nameProblem(owned).contains("Turnout writes itself"), owned);
        }
        assertTrue(HeaderRules.nameProblem("Bad Name").contains("header name"));
        assertTrue(HeaderRules.nameProblem("").contains("header name"));
        assertNull(HeaderRules.valueProblem("max-age=31536000; includeSubDomains"));
        assertTrue(HeaderRules.valueProblem("a\r\nInjected: yes").contains("control"));
        assertTrue(HeaderRules.valueProblem(" padded").contains("leading"));
        assertThrows(IllegalArgumentException.class, () -> new HeaderRules(Map.of("Content-Length", "0"), Map.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new HeaderRules(Map.of(), Map.of("X", "\u0000"), List.of()));
    }

    @Test
    void rulesAreComparedByValue() {
        HeaderRules setA = new HeaderRules(Map.of("A", "1"), Map.of(), List.of());
        assertEquals(setA, new HeaderRules(Map.of("A", "1"), Map.of(), List.of()));
        assertNotEquals(new HeaderRules(Map.of("A", "1"), Map.of(), List.of()), new HeaderRules(Map.of(), Map.of("A", "1"),
                List.of()));
        assertTrue(HeaderRules.NONE.isEmpty());
    }
}
