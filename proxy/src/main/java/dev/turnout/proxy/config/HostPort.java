package dev.turnout.proxy.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A {@code host:port} pair as written in the configuration ({@code [v6]:port} for IPv6). */
public record HostPort(String host, int port) {

    /**
     * Parses {@code text} or throws a {@link ConfigError} naming {@code key}.
     *
     * @param allowPortZero listeners may ask for an ephemeral port; backends may not
     */
    public static HostPort parse(String key, String text, boolean allowPortZero) {
        String expected = allowPortZero ? "host:port with port 0-65535" : "host:port with port 1-65535";
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw ConfigError.of(key, text, expected);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw ConfigError.of(key, text, expected + "; IPv6 addresses go in brackets, [::1]:8080");
        }
        if (host.isEmpty() || !host.chars().allMatch(c -> c > ' ' && c < 127 && c != '/')) {
            throw ConfigError.of(key, text, expected);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw ConfigError.of(key, text, expected);
        }
        if (port < (allowPortZero ? 0 : 1) || port > 65535) {
            throw ConfigError.of(key, text, expected);
        }
        return new HostPort(host, port);
    }

    /**
     * Resolves the host once, at start-up: name lookups are blocking, so they never happen on an
     * event loop (the same choice nginx makes for upstream servers without a resolver).
     */
    public InetSocketAddress resolve(String key) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw ConfigError.of(key, toString(), "a host name that resolves");
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
