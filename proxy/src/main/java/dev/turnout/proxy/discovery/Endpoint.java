package dev.turnout.proxy.discovery;

import dev.turnout.proxy.config.HostPort;
import java.net.InetSocketAddress;

/**
 * One address a discovery pool's name resolved to, which becomes one of its backends.
 *
 * @param address a resolved address (an IP and a port)
 * @param weight  1 for an A or AAAA address; the SRV record's weight otherwise (see {@link DnsLookup})
 */
public record Endpoint(InetSocketAddress address, int weight) {

    public Endpoint {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("not an IP address: " + address);
        }
    }

    /**
     * The backend's id: its address, {@code 10.0.0.5:8080} or {@code [2001:db8::5]:8080}, so that it is the same at every
     * lookup that still announces it.
     */
    public String id() {
        return new HostPort(address.getAddress().getHostAddress(), address.getPort()).toString();
    }
}
