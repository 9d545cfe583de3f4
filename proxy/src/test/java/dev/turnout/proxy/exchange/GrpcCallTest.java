package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GrpcCallTest {

    private static HttpRequest call(String contentType, String timeout) {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/pkg.Service/Method");
        if (contentType != null) {
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        if (timeout != null) {
            head.headers().set(GrpcCall.GRPC_TIMEOUT, timeout);
        }
        return head;
    }

    @Test
    void aCallIsKnownByItsContentType() {
        assertTrue(GrpcCall.isGrpc(call("application/grpc", null).headers()));
        assertTrue(GrpcCall.isGrpc(call("application/grpc+proto", null).headers()));
        assertTrue(GrpcCall.isGrpc(call("Application/GRPC; charset=utf-8", null).headers()));
        assertFalse(GrpcCall.isGrpc(call("application/grpcx", null).headers()));
        assertFalse(GrpcCall.isGrpc(call("application/json", null).headers()));
        assertFalse(GrpcCall.isGrpc(call(null, null).headers()));
    }

    @Test
    void grpcTimeoutIsReadInEachUnit() {
        assertEquals(TimeUnit.HOURS.toNanos(2), GrpcCall.timeoutNanos("2H"));
        assertEquals(TimeUnit.MINUTES.toNanos(3), GrpcCall.timeoutNanos("3M"));
        assertEquals(TimeUnit.SECONDS.toNanos(1), GrpcCall.timeoutNanos("1S"));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(250), GrpcCall.timeoutNanos("250m"));
        assertEquals(TimeUnit.MICROSECONDS.toNanos(99999999), GrpcCall.timeoutNanos("99999999u"));
        assertEquals(7, GrpcCall.timeoutNanos("7n"));
        assertEquals(-1, GrpcCall.timeoutNanos("123456789S"), "at most 8 digits");
        assertEquals(-1, GrpcCall.timeoutNanos("10s"), "units are case-sensitive: s is not a unit");
        assertEquals(-1, GrpcCall.timeoutNanos("-1S"));
        assertEquals(-1, GrpcCall.timeoutNanos(null));
    }

    @Test
    void theDeadlineRunsOnlyForACallThatHasOneAndStopsAtTheEnd() {
        EmbeddedChannel loop = new EmbeddedChannel();
        AtomicInteger expired = new AtomicInteger();
        GrpcCall grpc = new GrpcCall();

        grpc.begin(call("application/json", "1n"));
        grpc.startDeadline(call("application/json", "1n"), loop.eventLoop(), expired::incrementAndGet);
        assertFalse(grpc.active());
        assertFalse(grpc.hasDeadline(), "not a gRPC call: its grpc-timeout means nothing");

        HttpRequest withTimeout = call("application/grpc", "1n");
        grpc.begin(withTimeout);
        grpc.startDeadline(withTimeout, loop.eventLoop(), expired::incrementAndGet);
        assertTrue(grpc.hasDeadline());
        loop.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertEquals(1, expired.get());
        grpc.end();

        HttpRequest endsFirst = call("application/grpc", "5S");
        grpc.begin(endsFirst);
        grpc.startDeadline(endsFirst, loop.eventLoop(), expired::incrementAndGet);
        grpc.end();
        assertFalse(grpc.active());
        assertFalse(grpc.hasDeadline());
        loop.advanceTimeBy(10, TimeUnit.SECONDS);
        loop.runScheduledPendingTasks();
        assertEquals(1, expired.get(), "an ended call's deadline is cancelled");
        loop.finishAndReleaseAll();
    }

    @Test
    void failuresMapToTheStatusesGrpcGivesAProxysAnswers() {
        assertEquals(GrpcCall.UNAVAILABLE, GrpcCall.status(ProxyFailure.NO_BACKEND));
        assertEquals(GrpcCall.UNAVAILABLE, GrpcCall.status(ProxyFailure.CONNECT_REFUSED));
        assertEquals(GrpcCall.UNAVAILABLE, GrpcCall.status(ProxyFailure.TLS_FAILED));
        assertEquals(GrpcCall.UNAVAILABLE, GrpcCall.status(ProxyFailure.RESET_BEFORE_RESPONSE));
        assertEquals(GrpcCall.DEADLINE_EXCEEDED, GrpcCall.status(ProxyFailure.RESPONSE_TIMEOUT));
        assertEquals(GrpcCall.DEADLINE_EXCEEDED, GrpcCall.status(ProxyFailure.DEADLINE_EXCEEDED));
        assertEquals(GrpcCall.UNIMPLEMENTED, GrpcCall.status(ProxyFailure.NO_ROUTE));
        assertEquals(GrpcCall.RESOURCE_EXHAUSTED, GrpcCall.status(ProxyFailure.PAYLOAD_TOO_LARGE));
        assertEquals(GrpcCall.INTERNAL, GrpcCall.status(ProxyFailure.BAD_REQUEST));
    }

    @Test
    void anErrorIsATrailersOnlyAnswerOrTrailers() {
        FullHttpResponse answer = GrpcCall.errorAnswer(ProxyFailure.NO_BACKEND);
        assertEquals(200, answer.status().code());
        assertEquals("application/grpc", answer.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("14", answer.headers().get(GrpcCall.GRPC_STATUS));
        assertEquals("turnout: no backend available", answer.headers().get(GrpcCall.GRPC_MESSAGE));
        assertEquals(0, answer.content().readableBytes());
        answer.release();

        LastHttpContent trailers = GrpcCall.errorTrailers(ProxyFailure.RESET_BEFORE_RESPONSE);
        assertEquals("14", trailers.trailingHeaders().get(GrpcCall.GRPC_STATUS));
        trailers.release();
    }

    @Test
    void grpcMessageIsPercentEncoded() {
        assertEquals("plain text: fine", GrpcCall.percentEncoded("plain text: fine"));
        assertEquals("100%25 sure", GrpcCall.percentEncoded("100% sure"));
        assertEquals("caf%C3%A9%0A", GrpcCall.percentEncoded("café\n"));
    }
}
