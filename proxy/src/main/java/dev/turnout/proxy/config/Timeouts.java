package dev.turnout.proxy.config;

import java.time.Duration;

/**
 * @param connect    how long opening a backend connection may take (504 when exceeded)
 * @param request    how long a backend may stay silent once the request is sent (504 before the answer
 *                   started; the client connection is closed after)
 * @param idle       how long a client or a pooled backend connection may sit idle before it is closed
 * @param headerRead how long a client may take to send a request's head once it started (408, close)
 * @param bodyRead   how long a client may pause while sending a request's body (408, close)
 * @param tunnelDrain how long a drained backend's WebSocket tunnels stay open before they are closed
 */
public record Timeouts(Duration connect, Duration request, Duration idle, Duration headerRead, Duration bodyRead,
        Duration tunnelDrain) {
}
