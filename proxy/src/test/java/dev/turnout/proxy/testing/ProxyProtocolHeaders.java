package dev.turnout.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/** PROXY protocol headers (HAProxy's proxy-protocol.txt) as a balancer writes them before the client's bytes. */
public final class ProxyProtocolHeaders {

    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private ProxyProtocolHeaders() {
    }

    /** {@code PROXY TCP4 src dst sport dport\r\n} (or TCP6 for IPv6 addresses). */
    public static byte[] v1(String source, String destination, int sourcePort, int destinationPort) {
        String family = source.contains(":") ? "TCP6" : "TCP4";
        return ("PROXY " + family + " " + source + " " + destination + " " + sourcePort + " " + destinationPort + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The binary v2 header with the PROXY command, TCP over IPv4 or IPv6. */
    public static byte[] v2(String source, String destination, int sourcePort, int destinationPort) {
        byte[] from = address(source);
        byte[] to = address(destination);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(V2_SIGNATURE);
        out.write(0x21); // version 2, PROXY
        out.write(from.length == 4 ? 0x11 : 0x21); // TCP over IPv4 or IPv6
        int length = from.length * 2 + 4;
        out.write(length >> 8);
        out.write(length & 0xff);
        out.writeBytes(from);
        out.writeBytes(to);
        out.write(sourcePort >> 8);
        out.write(sourcePort & 0xff);
        out.write(destinationPort >> 8);
        out.write(destinationPort & 0xff);
        return out.toByteArray();
    }

    /** The v2 header with the LOCAL command and no address: the balancer's own health check. */
    public static byte[] v2Local() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(V2_SIGNATURE);
        out.write(0x20); // version 2, LOCAL
        out.write(0x00); // UNSPEC
        out.write(0);
        out.write(0);
        return out.toByteArray();
    }

    /** {@code header} followed by {@code text}'s bytes. */
    public static byte[] then(byte[] header, String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header);
        out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[] address(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
