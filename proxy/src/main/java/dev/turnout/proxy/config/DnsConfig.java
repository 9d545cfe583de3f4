package dev.turnout.proxy.config;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Where discovery asks its DNS questions.
 *
 * @param resolvers the name servers, asked in order; empty for the system's ({@code /etc/resolv.conf})
 */
public record DnsConfig(List<InetSocketAddress> resolvers) {

    public DnsConfig {
        resolvers = List.copyOf(resolvers);
    }
}
