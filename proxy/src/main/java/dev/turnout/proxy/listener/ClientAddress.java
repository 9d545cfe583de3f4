package dev.turnout.proxy.listener;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;

/**
 * Who is at the other end of one client connection: the PROXY protocol header's source when there
 * was one, else the peer's address, found once, when first asked; and for a request from a trusted
 * proxy, the client its {@code X-Forwarded-For} names.
 */
final class ClientAddress {

    private final Channel channel;
    private final TrustedProxies trustedProxies;
    private String ip;
    private boolean trusted;

    ClientAddress(Channel channel, TrustedProxies trustedProxies) {
        this.channel = channel;
        this.trustedProxies = trustedProxies;
    }

    String ip() {
        if (ip == null) {
            String proxied = ProxyProtocolSource.clientOf(channel);
            ip = proxied != null ? proxied : channel.remoteAddress() instanceof InetSocketAddress a
                    ? a.getAddress().getHostAddress() : String.valueOf(channel.remoteAddress());
            trusted = trustedProxies.trusts(ip);
        }
        return ip;
    }

    /** Whether the connection's peer is a trusted proxy, whose X-Forwarded-For is passed on with it appended. */
    boolean peerTrusted() {
        ip();
        return trusted;
    }

    /** The client a request on this connection comes from. */
    String ipOf(HttpHeaders headers) {
        String peer = ip();
        return trusted ? trustedProxies.clientOf(peer, headers) : peer;
    }
}
