package dev.turnout.proxy.config;

/**
 * Bounds on what one client may send and how many may be connected.
 *
 * @param requestLine the longest request line (414 beyond)
 * @param headerSize  the most bytes of header lines in one request (431 beyond)
 * @param headerCount the most header lines in one request (431 beyond)
 * @param connections the most client connections at once; more are answered 503 and closed
 * @param http2Streams the most HTTP/2 streams one connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS)
 * @param http2Window  each HTTP/2 stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE): request body bytes a
 *                     client may send ahead of the backend taking them
 * @param http2ConnectionWindow each HTTP/2 connection's receive window, shared by its streams
 */
public record ClientLimits(int requestLine, int headerSize, int headerCount, int connections, int http2Streams,
        int http2Window, int http2ConnectionWindow) {
}
