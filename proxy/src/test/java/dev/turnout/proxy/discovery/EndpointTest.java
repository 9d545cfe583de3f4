package dev.turnout.proxy.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class EndpointTest {

    @Test
    void theIdIsTheAddressWithItsPortIpv6InBrackets() throws Exception {
        assertEquals("10.0.0.5:8080", new Endpoint(new InetSocketAddress("10.0.0.5", 8080), 1).id());
        assertEquals("[2001:db8:0:0:0:0:0:5]:443",
                new Endpoint(new InetSocketAddress(InetAddress.getByName("2001:db8::5"), 443), 1).id());
    }

    @Test
    void anUnresolvedAddressIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new Endpoint(InetSocketAddress.createUnresolved("app.internal", 80), 1));
    }
}
