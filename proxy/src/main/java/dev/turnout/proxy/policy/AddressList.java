package dev.turnout.proxy.policy;

import io.netty.util.NetUtil;
import java.util.List;

/**
 * IPv4 and IPv6 networks in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}; a bare address is a
 * /32 or /128), matched against a client address. Immutable. An IPv4-mapped IPv6 address
 * ({@code ::ffff:10.1.2.3}) is matched as the IPv4 address it carries, as a dual-stack socket reports it.
 */
public final class AddressList {

    public static final AddressList EMPTY = new AddressList(List.of());
    /** What a valid entry looks like, for error messages. */
    public static final String EXPECTED = "an address or a network in CIDR notation, such as 10.0.0.0/8 or 2001:db8::/32";

    private final List<String> entries;
    private final byte[][] networks;
    private final int[] prefixLengths;

    private AddressList(List<String> entries) {
        this.entries = List.copyOf(entries);
        this.networks = new byte[entries.size()][];
        this.prefixLengths = new int[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            String entry = entries.get(i);
            int slash = entry.indexOf('/');
            networks[i] = address(slash < 0 ? entry : entry.substring(0, slash));
            prefixLengths[i] = slash < 0 ? networks[i].length * 8 : Integer.parseInt(entry.substring(slash + 1));
        }
    }

    /**
     * The networks, each checked first by {@link #problem}.
     *
     * @throws IllegalArgumentException naming the first entry that is not one
     */
    public static AddressList of(List<String> cidrs) {
        for (String cidr : cidrs) {
            String problem = problem(cidr);
            if (problem != null) {
                throw new IllegalArgumentException(cidr + ": " + problem);
            }
        }
        return cidrs.isEmpty() ? EMPTY : new AddressList(cidrs);
    }

    /** What is wrong with one entry, or null when it is an address or a network with no host bits set. */
    public static String problem(String cidr) {
        int slash = cidr.indexOf('/');
        byte[] network = address(slash < 0 ? cidr : cidr.substring(0, slash));
        if (network == null) {
            return EXPECTED;
        }
        if (slash < 0) {
            return null;
        }
        String length = cidr.substring(slash + 1);
        int bits = network.length * 8;
        if (!length.matches("[0-9]{1,3}") || Integer.parseInt(length) > bits) {
            return "a prefix length from 0 to " + bits + " after the /";
        }
        int prefix = Integer.parseInt(length);
        for (int bit = prefix; bit < bits; bit++) {
            if ((network[bit >>> 3] & (0x80 >>> (bit & 7))) != 0) {
                return "a network address whose bits past the prefix are 0 (this one has host bits set)";
            }
        }
        return null;
    }

    /** The address's bytes (4 for IPv4, IPv4-mapped IPv6 included; 16 for IPv6), or null when it is not an address. */
    static byte[] address(String text) {
        if (text.indexOf('%') >= 0) {
            return null; // a scope id names an interface, not a network
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes != null && bytes.length == 16 && isIpv4Mapped(bytes)) {
            return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
        }
        return bytes;
    }

    private static boolean isIpv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Whether the textual address is in one of the networks; an unreadable address is in none. */
    public boolean contains(String address) {
        byte[] bytes = address == null ? null : address(address);
        return bytes != null && contains(bytes);
    }

    boolean contains(byte[] address) {
        for (int i = 0; i < networks.length; i++) {
            if (inNetwork(address, networks[i], prefixLengths[i])) {
                return true;
            }
        }
        return false;
    }

    private static boolean inNetwork(byte[] address, byte[] network, int prefixLength) {
        if (address.length != network.length) {
            return false;
        }
        int whole = prefixLength >>> 3;
        for (int i = 0; i < whole; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (address[whole] & mask) == (network[whole] & 0xff);
    }

    /** The entries as configured. */
    public List<String> entries() {
        return entries;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AddressList list && list.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return String.join(", ", entries);
    }
}
