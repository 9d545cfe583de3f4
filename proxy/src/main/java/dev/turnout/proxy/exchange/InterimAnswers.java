package dev.turnout.proxy.exchange;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The one rule for a backend's interim (1xx) answers other than 101, which belongs to WebSocket:
 * each is relayed to the client as it arrives, before the final answer, with its own fields less
 * the hop-by-hop ones (RFC 9110 15.2: a proxy forwards 1xx answers), except
 * <ul>
 * <li>to an HTTP/1.0 client, which has no 1xx (RFC 9110 15.2);
 * <li>{@code 100 Continue}, which goes only to a client that sent {@code Expect: 100-continue},
 * and once: the expectation is passed to the backend, whose 100 tells the client to send the body;
 * <li>past {@link #MAX_RELAYED} of them, which a backend has no reason to send.
 * </ul>
 * None of them starts the answer: a failure after one still gets its own status.
 */
final class InterimAnswers {

    /** Interim answers relayed per exchange at most. */
    static final int MAX_RELAYED = 8;

    private boolean continueExpected;
    private int relayed;

    /** A new request: whether its client waits for a 100 before sending the body. */
    void begin(HttpRequest request) {
        continueExpected = HttpUtil.is100ContinueExpected(request);
        relayed = 0;
    }

    /** The client's copy of {@code interim}, or null when the rule says it is not relayed. */
    FullHttpResponse relay(HttpResponse interim, boolean http10Client) {
        int code = interim.status().code();
        if (http10Client || relayed >= MAX_RELAYED || (code == 100 && !continueExpected)) {
            return null;
        }
        if (code == 100) {
            continueExpected = false;
        }
        relayed++;
        FullHttpResponse copy = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, interim.status(), Unpooled.EMPTY_BUFFER);
        copy.headers().set(interim.headers());
        ForwardedHeaders.removeHopByHop(copy.headers());
        copy.headers().remove(HttpHeaderNames.TRANSFER_ENCODING).remove(HttpHeaderNames.CONTENT_LENGTH);
        return copy;
    }
}
