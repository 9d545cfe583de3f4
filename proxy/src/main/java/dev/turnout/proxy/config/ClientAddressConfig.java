package dev.turnout.proxy.config;

import dev.turnout.proxy.policy.AddressList;

/**
 * Where the client's address comes from, for every listener.
 *
 * @param proxyProtocol  every connection starts with a PROXY protocol (v1 or v2) header naming the client
 * @param trustedProxies peers whose X-Forwarded-For is believed (its right-most untrusted entry is the client)
 */
public record ClientAddressConfig(boolean proxyProtocol, AddressList trustedProxies) {
}
