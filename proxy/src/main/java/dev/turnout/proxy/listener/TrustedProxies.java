package dev.turnout.proxy.listener;

import dev.turnout.proxy.exchange.ForwardedHeaders;
import dev.turnout.proxy.policy.AddressList;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import java.util.List;

/**
 * {@code turnout.trusted-proxies}: the peers whose {@code X-Forwarded-For} is believed. From such a peer the
 * client is the right-most entry of the chain that is not itself a trusted proxy (nginx's
 * {@code real_ip_recursive on}): the chain is read from the right, past each trusted address, and the
 * first untrusted one is the client; when every entry is trusted, the left-most is. An entry that is not
 * an address stops the walk at the last address reached. From any other peer the header is not read.
 */
public final class TrustedProxies {

    public static final TrustedProxies NONE = new TrustedProxies(AddressList.EMPTY);

    private final AddressList networks;

    public TrustedProxies(AddressList networks) {
        this.networks = networks;
    }

    /** Whether {@code address} (a connection's peer, or a chain entry) is a trusted proxy. */
    public boolean trusts(String address) {
        return !networks.isEmpty() && networks.contains(address);
    }

    /** The client a trusted peer's request names, as described above; {@code peer} when the request has no chain. */
    public String clientOf(String peer, HttpHeaders headers) {
        List<String> lines = headers.getAll(ForwardedHeaders.X_FORWARDED_FOR);
        String client = peer;
        for (int line = lines.size() - 1; line >= 0; line--) {
            String chain = lines.get(line);
            int end = chain.length();
            while (end >= 0) {
                if (!networks.contains(client)) {
                    return client;
                }
                int comma = chain.lastIndexOf(',', end - 1);
                String entry = chain.substring(comma + 1, end).trim();
                end = comma;
                if (entry.isEmpty()) {
                    continue;
                }
                if (!NetUtil.isValidIpV4Address(entry) && !NetUtil.isValidIpV6Address(entry)) {
                    return client;
                }
                client = entry;
            }
        }
        return client;
    }
}
