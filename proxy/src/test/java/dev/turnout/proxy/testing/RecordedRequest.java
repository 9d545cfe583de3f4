package dev.turnout.proxy.testing;

import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * One request as a {@link FakeBackend} received it. Created when the request head arrives and
 * filled in as the body streams in, so tests can watch a request in progress; {@link #complete()}
 * turns true when the end of the request arrived.
 */
public final class RecordedRequest {

    /** Bodies up to this size are kept; longer ones only have their length and checksum. */
    public static final int MAX_KEPT_BODY = 4 * 1024 * 1024;

    private final int connectionId;
    private final int indexOnConnection;
    private final String method;
    private final String uri;
    private final String protocol;
    private final HttpHeaders headers;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final CRC32 crc = new CRC32();
    private volatile long bodyLength;
    private volatile boolean complete;
    private volatile boolean failed;

    RecordedRequest(int connectionId, int indexOnConnection, String method, String uri, String protocol,
            HttpHeaders headers) {
        this.connectionId = connectionId;
        this.indexOnConnection = indexOnConnection;
        this.method = method;
        this.uri = uri;
        this.protocol = protocol;
        this.headers = headers;
    }

    /** Which accepted connection (1, 2, ...) of the backend the request came on. */
    public int connectionId() {
        return connectionId;
    }

    /** 0 for the first request on its connection, 1 for the next, ... */
    public int indexOnConnection() {
        return indexOnConnection;
    }

    public String method() {
        return method;
    }

    public String uri() {
        return uri;
    }

    /** The request line's version, e.g. HTTP/1.1. */
    public String protocol() {
        return protocol;
    }

    /** A copy of the request's headers as received. */
    public HttpHeaders headers() {
        return headers;
    }

    public String header(String name) {
        return headers.get(name);
    }

    /** Body bytes received so far. */
    public long bodyLength() {
        return bodyLength;
    }

    /** The body (when at most {@link #MAX_KEPT_BODY} bytes). */
    public byte[] body() {
        synchronized (body) {
            if (bodyLength > MAX_KEPT_BODY) {
                throw new IllegalStateException("body of " + bodyLength + " bytes was not kept");
            }
            return body.toByteArray();
        }
    }

    public String bodyText() {
        return new String(body(), StandardCharsets.UTF_8);
    }

    /** CRC-32 of the body received so far. */
    public long bodyCrc() {
        synchronized (body) {
            return crc.getValue();
        }
    }

    /** True once the whole request, body included, arrived intact. */
    public boolean complete() {
        return complete;
    }

    /** True when the backend's decoder rejected the request (or its body). */
    public boolean failed() {
        return failed;
    }

    void appendBody(byte[] bytes) {
        synchronized (body) {
            crc.update(bytes);
            if (bodyLength + bytes.length <= MAX_KEPT_BODY) {
                body.write(bytes, 0, bytes.length);
            }
            bodyLength += bytes.length;
        }
    }

    void markComplete() {
        complete = true;
    }

    void markFailed() {
        failed = true;
    }

    @Override
    public String toString() {
        return method + " " + uri + " " + protocol + " (connection " + connectionId + ", body " + bodyLength
                + (complete ? ", complete)" : ", incomplete)");
    }
}
