package dev.turnout.admin;

import com.sun.net.httpserver.Headers;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The first check on every admin request, before its body is read or its token looked at: is it
 * meant for this listener, and not sent by a web page of another site?
 *
 * <ul>
 *   <li>The Host must name this listener: its address (any of the machine's addresses when it listens
 *       on all of them), localhost, 127.0.0.1, [::1] or a name in {@code turnout.admin.hosts}; its port
 *       is not compared, so a published or forwarded port works. Anything else is 421: a page that
 *       rebinds its own DNS name to this address still sends its own name (DNS rebinding).</li>
 *   <li>A browser call must come from the listener's own origin: an {@code Origin} other than
 *       {@code scheme://Host}, or {@code Sec-Fetch-Site} saying another site (or another port of this
 *       host) made the call, is 403, whatever the method. A {@code no-cors} POST sends no preflight,
 *       so this is what stops a page from draining backends. No CORS header is ever sent, so no
 *       preflight is ever approved either. curl and scripts send neither header.</li>
 * </ul>
 */
final class AdminGate {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    private final Set<String> names;
    private final Set<InetAddress> addresses;
    private final String scheme;

    private AdminGate(Set<String> names, Set<InetAddress> addresses, String scheme) {
        this.names = names;
        this.addresses = addresses;
        this.scheme = scheme;
    }

    /**
     * @param listenHost the host the listener was configured with, as written
     * @param bound      the address it is bound to
     */
    static AdminGate of(String listenHost, InetAddress bound, List<String> hosts, boolean tls) {
        Set<String> names = new HashSet<>();
        names.add("localhost");
        for (String host : hosts) {
            names.add(host.toLowerCase(Locale.ROOT));
        }
        Set<InetAddress> addresses = new HashSet<>();
        addresses.add(InetAddress.getLoopbackAddress());
        addresses.add(ipv4("127.0.0.1"));
        addresses.add(literal("::1"));
        String listen = listenHost.toLowerCase(Locale.ROOT);
        if (NAME.matcher(listen).matches() && !IPV4.matcher(listen).matches()) {
            names.add(listen);
        }
        if (bound.isAnyLocalAddress()) {
            addresses.addAll(interfaceAddresses());
        } else {
            addresses.add(withoutScope(bound));
        }
        return new AdminGate(Set.copyOf(names), Set.copyOf(addresses), tls ? "https" : "http");
    }

    /** The refusal for a request not meant for this listener or sent from another site, or null to go on. */
    AdminResponse refusal(Headers headers, URI target) {
        List<String> hostHeaders = headers.getOrDefault("Host", List.of());
        if (hostHeaders.size() != 1) {
            return AdminResponse.error(421, "one Host header naming this admin listener is required");
        }
        String host = hostHeaders.get(0).trim();
        if (!answers(host) || (target.getHost() != null && !answers(target.getRawAuthority()))) {
            return AdminResponse.error(421, "this admin listener does not answer for Host " + host
                    + " (it answers its own address, localhost and the names in turnout.admin.hosts)");
        }
        String own = scheme + "://" + host;
        for (String origin : headers.getOrDefault("Origin", List.of())) {
            if (!origin.trim().equalsIgnoreCase(own)) {
                return AdminResponse.error(403, "cross-origin call refused: the admin API answers only its own pages ("
                        + own + "), not " + origin.trim());
            }
        }
        String site = headers.getFirst("Sec-Fetch-Site");
        if (site != null && !site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none")) {
            return AdminResponse.error(403, "cross-origin call refused: the browser says another site made it ("
                    + "Sec-Fetch-Site: " + site + ")");
        }
        return null;
    }

    /** Whether a Host value ({@code name}, {@code name:port}, {@code [v6]}, {@code [v6]:port}) names this listener. */
    boolean answers(String hostHeader) {
        String host = hostHeader.toLowerCase(Locale.ROOT);
        int portColon = host.startsWith("[") ? host.indexOf("]:") + 1 : host.indexOf(':');
        if (portColon > 0) {
            if (!PORT.matcher(host.substring(portColon + 1)).matches()) {
                return false;
            }
            host = host.substring(0, portColon);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            String inner = host.substring(1, host.length() - 1);
            return IPV6.matcher(inner).matches() && inner.indexOf(':') >= 0 && addresses.contains(literal(inner));
        }
        if (IPV4.matcher(host).matches()) {
            InetAddress address = ipv4(host);
            return address != null && addresses.contains(address);
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        return names.contains(host);
    }

    /** An IPv6 literal, or null; text with a colon is parsed as one, never looked up as a name. */
    private static InetAddress literal(String text) {
        try {
            return withoutScope(InetAddress.getByName(text));
        } catch (UnknownHostException notAnAddress) {
            return null;
        }
    }

    /** A dotted-quad IPv4 address, or null; built from its bytes, so never looked up as a name. */
    private static InetAddress ipv4(String text) {
        String[] parts = text.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            int value = Integer.parseInt(parts[i]);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            return null;
        }
    }

    private static InetAddress withoutScope(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        try {
            return InetAddress.getByAddress(address.getAddress());
        } catch (UnknownHostException impossible) {
            return address;
        }
    }

    private static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> found = new HashSet<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    found.add(withoutScope(address));
                }
            }
        } catch (SocketException unavailable) {
            // Then only loopback and the names in turnout.admin.hosts are answered.
        }
        return found;
    }
}
