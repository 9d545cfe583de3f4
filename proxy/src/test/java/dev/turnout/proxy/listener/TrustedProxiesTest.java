package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.policy.AddressList;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client behind trusted proxies: the right-most untrusted X-Forwarded-For entry (nginx's real_ip_recursive). */
class TrustedProxiesTest {

    private final TrustedProxies trusted = new TrustedProxies(AddressList.of(List.of("127.0.0.1/32", "10.0.0.0/8",
            "2001:db8::/32")));

    private static HttpHeaders forwardedFor(String... lines) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String line : lines) {
            headers.add("X-Forwarded-For", line);
        }
        return headers;
    }

    @Test
    void aChainOfThreeProxiesNamesTheClientBeforeThem() {
        // client 203.0.113.7 -> CDN 10.9.0.1 -> balancer 10.0.0.2 -> Turnout (peer 127.0.0.1)
        assertEquals("203.0.113.7", trusted.clientOf("127.0.0.1", forwardedFor("203.0.113.7, 10.9.0.1, 10.0.0.2")));
        assertEquals("203.0.113.7", trusted.clientOf("127.0.0.1", forwardedFor("203.0.113.7", "10.9.0.1,10.0.0.2")),
                "several lines are one list");
    }

    @Test
    void whatTheClientWroteLeftOfItselfIsNotBelieved() {
        assertEquals("203.0.113.7", trusted.clientOf("127.0.0.1", forwardedFor("6.6.6.6, 203.0.113.7, 10.0.0.2")),
                "a forged entry the client sent is left of the first untrusted address");
    }

    @Test
    void whenEveryEntryIsTrustedTheLeftMostIsTheClient() {
        assertEquals("10.1.1.1", trusted.clientOf("127.0.0.1", forwardedFor("10.1.1.1, 10.0.0.2")));
        assertEquals("2001:db8::5", trusted.clientOf("127.0.0.1", forwardedFor("2001:db8::5")));
    }

    @Test
    void anEntryThatIsNoAddressStopsAtTheLastAddressReached() {
        assertEquals("10.0.0.2", trusted.clientOf("127.0.0.1", forwardedFor("203.0.113.7, unknown, 10.0.0.2")));
        assertEquals("127.0.0.1", trusted.clientOf("127.0.0.1", forwardedFor("")));
        assertEquals("127.0.0.1", trusted.clientOf("127.0.0.1", forwardedFor()), "no chain: the peer itself");
        assertEquals("198.51.100.2", trusted.clientOf("127.0.0.1", forwardedFor("198.51.100.2, ")), "empty entries are skipped");
    }

    @Test
    void trustIsByNetwork() {
        assertTrue(trusted.trusts("10.200.0.1"));
        assertFalse(trusted.trusts("192.0.2.1"));
        assertFalse(TrustedProxies.NONE.trusts("127.0.0.1"));
    }
}
