package dev.turnout.proxy.config;

/**
 * Bounds on what one client may send and how many may be connected.
 *
 * @param requestLine the longest request line (414 beyond)
 * @param headerSize  the most bytes of header lines in one request (431 beyond)
 * @param headerCount the most header lines in one request (431 beyond)
 * @param connections the most client connections at once; more are answered 503 and closed
 */
public record ClientLimits(int requestLine, int headerSize, int headerCount, int connections) {
}
