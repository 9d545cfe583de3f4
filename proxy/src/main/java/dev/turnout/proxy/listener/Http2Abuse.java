package dev.turnout.proxy.listener;

import io.netty.handler.codec.http2.Http2Exception;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * HTTP/2 connections closed for abuse, by kind, for {@code turnout_http2_abuse_total{kind}}. Netty's
 * codec detects most kinds (its limits are set in {@link Http2ServerConnection}) and says which in
 * its error's message; {@link Http2ServerConnection} counts PING and SETTINGS floods itself.
 */
public final class Http2Abuse {

    /** What a connection was closed for. */
    public enum Kind {
        /** Streams opened and cancelled in a loop (CVE-2023-44487). */
        RAPID_RESET,
        /** A header block sent as ever more small CONTINUATION frames (the CVE-2024-27316 class). */
        CONTINUATION_FLOOD,
        /** DATA frames without data or end of stream. */
        EMPTY_DATA_FLOOD,
        /** Control frames (PING, SETTINGS acks, RST_STREAM) piling up for a client that does not read them. */
        CONTROL_FRAME_FLOOD,
        PING_FLOOD,
        SETTINGS_FLOOD,
        /** A header block far past {@code turnout.limits.header-size}. */
        HEADER_LIST_TOO_LARGE,
        /** Any other violation of the protocol that ends the connection. */
        PROTOCOL_ERROR;

        /** The metric label: {@code rapid-reset}, {@code ping-flood}... */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final LongAdder[] counts = new LongAdder[Kind.values().length];

    public Http2Abuse() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    void count(Kind kind) {
        counts[kind.ordinal()].increment();
    }

    /** Connections closed for {@code kind} so far. */
    public long total(Kind kind) {
        return counts[kind.ordinal()].sum();
    }

    /** The kind of a connection error Netty's codec raised, from its message. */
    static Kind of(Http2Exception error) {
        String message = String.valueOf(error.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("rst frames")) {
            return Kind.RAPID_RESET;
        }
        if (message.contains("continuation")) {
            return Kind.CONTINUATION_FLOOD;
        }
        if (message.contains("empty data frames")) {
            return Kind.EMPTY_DATA_FLOOD;
        }
        if (message.contains("control frames")) {
            return Kind.CONTROL_FRAME_FLOOD;
        }
        if (message.contains("header size exceeded")) {
            return Kind.HEADER_LIST_TOO_LARGE;
        }
        return Kind.PROTOCOL_ERROR;
    }
}
