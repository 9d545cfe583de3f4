package dev.turnout.proxy.config;

import java.net.InetSocketAddress;

/** One backend of a pool, validated and resolved. */
public record BackendConfig(String id, HostPort address, InetSocketAddress socketAddress, int weight) {
}
