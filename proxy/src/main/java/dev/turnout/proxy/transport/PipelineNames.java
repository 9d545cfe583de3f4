package dev.turnout.proxy.transport;

import java.util.List;

/**
 * The names of the handlers in client and backend pipelines, in one place: the WebSocket upgrade
 * and the h2c switch remove handlers by name from pipelines built elsewhere.
 */
public final class PipelineNames {

    // A client connection.
    /** With turnout.proxy-protocol: the PROXY header's decoder, and what keeps its client address. */
    public static final String PROXY_PROTOCOL = "proxy-protocol";
    public static final String PROXY_SOURCE = "proxy-source";
    public static final String TLS = "tls";
    public static final String ALPN = "alpn";
    public static final String IDLE = "idle";
    public static final String READ_TIMEOUT = "read-timeout";
    public static final String HTTP = "http";
    /** An HTTP/1.1 client connection's answer encoder (its request decoder is {@link #HTTP}). */
    public static final String HTTP_RESPONSES = "http-responses";
    public static final String COMPRESS = "compress";
    public static final String PROXY = "proxy";
    public static final String H2_HEADER_BLOCK = "h2-header-block";
    public static final String H2 = "h2";
    public static final String H2_STREAMS = "h2-streams";
    /** Both ends of a WebSocket tunnel. */
    public static final String TUNNEL = "tunnel";

    // A backend connection.
    public static final String HTTP_DECODER = "http-decoder";
    public static final String HTTP_ENCODER = "http-encoder";
    public static final String RELAY = "relay";

    /** What a WebSocket upgrade removes from the client connection, after the proxy handler. */
    public static final List<String> CLIENT_HTTP = List.of(COMPRESS, HTTP_RESPONSES, HTTP);
    /** What a WebSocket upgrade removes from the backend connection. */
    public static final List<String> BACKEND_HTTP = List.of(RELAY, HTTP_ENCODER, HTTP_DECODER);
    /** What a switch to h2c with prior knowledge removes. */
    public static final List<String> HTTP1 = List.of(IDLE, HTTP_RESPONSES, HTTP, COMPRESS, PROXY);

    private PipelineNames() {
    }
}
