package dev.turnout.proxy.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * What a {@link FakeBackend} does with one request: answer (optionally late, chunked, with a
 * generated body), stall, close, answer half and close, or send raw bytes. Built fluently; a
 * reply may serve many requests, so nothing in it changes once it is in use.
 */
public final class Reply {

    enum Kind { RESPOND, STALL, CLOSE, TRUNCATED, RAW }

    final Kind kind;
    int status = 200;
    final List<Map.Entry<String, String>> headers = new ArrayList<>();
    Function<RecordedRequest, byte[]> body = r -> "ok".getBytes(StandardCharsets.UTF_8);
    long payloadLength = -1;
    boolean chunked;
    boolean closeAfter;
    boolean beforeBody;
    CompletionStage<?> gate;
    Duration delay;
    long declaredLength;
    long sentBytes;
    byte[] raw;

    private Reply(Kind kind) {
        this.kind = kind;
    }

    /** 200 with body "ok". */
    public static Reply ok() {
        return new Reply(Kind.RESPOND);
    }

    /** 200 with this body. */
    public static Reply ok(String body) {
        return ok().body(body);
    }

    public static Reply status(int status, String body) {
        Reply r = ok().body(body);
        r.status = status;
        return r;
    }

    /** 200 with a body computed from the (complete) request, e.g. an echo. */
    public static Reply answer(Function<RecordedRequest, String> body) {
        return ok().bodyFrom(r -> body.apply(r).getBytes(StandardCharsets.UTF_8));
    }

    /** 200 with {@code length} bytes of {@link Payload}, streamed with back-pressure. */
    public static Reply payload(long length) {
        Reply r = ok();
        r.payloadLength = length;
        return r;
    }

    /** Reads the request and never answers. */
    public static Reply stall() {
        return new Reply(Kind.STALL);
    }

    /** Reads the whole request, then closes the connection without a byte of answer. */
    public static Reply closeAfterRequest() {
        return new Reply(Kind.CLOSE);
    }

    /**
     * Sends a 200 head announcing {@code declaredLength} body bytes (or chunked, see
     * {@link #chunked()}), then only {@code sentBytes} of {@link Payload}, then closes.
     */
    public static Reply truncated(long declaredLength, long sentBytes) {
        Reply r = new Reply(Kind.TRUNCATED);
        r.declaredLength = declaredLength;
        r.sentBytes = sentBytes;
        return r;
    }

    /** Writes these bytes as they are (not HTTP, or hand-made HTTP). */
    public static Reply raw(String bytes) {
        Reply r = new Reply(Kind.RAW);
        r.raw = bytes.getBytes(StandardCharsets.ISO_8859_1);
        return r;
    }

    public Reply body(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bodyFrom(r -> bytes);
    }

    public Reply bodyFrom(Function<RecordedRequest, byte[]> body) {
        this.body = body;
        return this;
    }

    public Reply header(String name, String value) {
        headers.add(Map.entry(name, value));
        return this;
    }

    /** Chunked transfer coding instead of Content-Length. */
    public Reply chunked() {
        this.chunked = true;
        return this;
    }

    /** Closes the connection after this reply (raw or HTTP), without saying so in a header. */
    public Reply thenClose() {
        this.closeAfter = true;
        return this;
    }

    /** Answers as soon as the request head arrived, without waiting for its body. */
    public Reply beforeBody() {
        this.beforeBody = true;
        return this;
    }

    /** Answers only once {@code gate} completes (the request is read meanwhile). */
    public Reply after(CompletionStage<?> gate) {
        this.gate = gate;
        return this;
    }

    /** Answers after {@code delay}, on the backend's event loop (nothing sleeps). */
    public Reply delayed(Duration delay) {
        this.delay = delay;
        return this;
    }
}
