package dev.turnout.proxy.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AddressListTest {

    private final AddressList list = AddressList.of(List.of("10.0.0.0/8", "192.0.2.7", "172.16.0.0/12", "2001:db8::/32",
            "::1"));

    @Test
    void matchesIpv4NetworksAtTheirPrefix() {
        assertTrue(list.contains("10.255.1.2"));
        assertFalse(list.contains("11.0.0.1"));
        assertTrue(list.contains("172.31.255.255"), "a prefix that ends inside a byte");
        assertFalse(list.contains("172.32.0.0"));
        assertTrue(list.contains("192.0.2.7"), "a bare address is a /32");
        assertFalse(list.contains("192.0.2.8"));
    }

    @Test
    void matchesIpv6NetworksAndAnIpv4MappedAddressAsIpv4() {
        assertTrue(list.contains("2001:db8:ffff::1"));
        assertTrue(list.contains("2001:0db8:0:0:0:0:0:9"), "any spelling of the address");
        assertFalse(list.contains("2001:db9::1"));
        assertTrue(list.contains("0:0:0:0:0:0:0:1"), "as Java prints the loopback");
        assertTrue(list.contains("::ffff:10.1.2.3"), "a dual-stack socket's IPv4 client");
    }

    @Test
    void anUnreadableAddressIsInNoList() {
        assertFalse(list.contains("example.com"));
        assertFalse(list.contains((String) null));
        assertFalse(list.contains("fe80::1%eth0"));
        assertTrue(AddressList.of(List.of("0.0.0.0/0")).contains("203.0.113.9"));
        assertFalse(AddressList.of(List.of("0.0.0.0/0")).contains("2001:db8::1"), "IPv4's whole space is not IPv6's");
        assertFalse(AddressList.EMPTY.contains("10.0.0.1"));
    }

    @Test
    void eachBadEntryIsRefusedWithWhy() {
        assertNull(AddressList.problem("10.0.0.0/8"));
        assertNull(AddressList.problem("2001:db8::/32"));
        assertTrue(AddressList.problem("10.0.0.0/33").contains("0 to 32"));
        assertTrue(AddressList.problem("2001:db8::/129").contains("0 to 128"));
        assertTrue(AddressList.problem("10.0.0.0/x").contains("prefix length"));
        assertTrue(AddressList.problem("10.0.0.1/8").contains("host bits"));
        assertTrue(AddressList.problem("2001:db8::1/32").contains("host bits"));
        assertEquals(AddressList.EXPECTED, AddressList.problem("10.0.0/8"));
        assertEquals(AddressList.EXPECTED, AddressList.problem("fe80::1%eth0"));
        assertThrows(IllegalArgumentException.class, () -> AddressList.of(List.of("10.0.0.0/8", "nope")));
    }

    @Test
    void listsAreComparedByTheirEntries() {
        assertEquals(AddressList.of(List.of("10.0.0.0/8")), AddressList.of(List.of("10.0.0.0/8")));
        assertNotEquals(AddressList.of(List.of("10.0.0.0/8")), AddressList.of(List.of("10.0.0.0/9")));
        assertEquals("10.0.0.0/8, 192.0.2.7, 172.16.0.0/12, 2001:db8::/32, ::1", list.toString());
    }
}
