package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;

class RequestReplayTest {

    private static final HttpRequest HEAD = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/orders");

    /** Writes {@code part} as a stream would: the replay sees it first, then the writer consumes (releases) it. */
    private static void send(RequestReplay replay, HttpContent part) {
        replay.sending(part);
        part.release();
    }

    @Test
    void anHttp2StreamsBodyIsKeptAndQueuedAgainBehindItsHead() {
        RequestReplay replay = new RequestReplay();
        replay.start(true);
        ByteBuf first = Unpooled.copiedBuffer("one ", StandardCharsets.US_ASCII);
        ByteBuf last = Unpooled.copiedBuffer("order", StandardCharsets.US_ASCII);
        send(replay, new DefaultHttpContent(first));
        send(replay, new DefaultLastHttpContent(last));
        assertEquals(1, first.refCnt(), "kept as a retained duplicate, not copied");

        ArrayDeque<HttpObject> queue = new ArrayDeque<>();
        assertTrue(replay.requeue(queue, HEAD));
        assertSame(HEAD, queue.poll());
        StringBuilder body = new StringBuilder();
        for (HttpObject part : queue) {
            body.append(((HttpContent) part).content().toString(StandardCharsets.US_ASCII));
        }
        assertEquals("one order", body.toString());
        assertTrue(queue.peekLast() instanceof DefaultLastHttpContent);
        queue.forEach(ReferenceCountUtil::release);
        assertEquals(0, first.refCnt());
        assertEquals(0, last.refCnt());
        assertFalse(replay.requeue(new ArrayDeque<>(), HEAD), "once queued again, nothing is kept until the next start");
    }

    @Test
    void nothingIsKeptForHttp11() {
        RequestReplay replay = new RequestReplay();
        replay.start(false);
        ByteBuf body = Unpooled.copiedBuffer("x", StandardCharsets.US_ASCII);
        send(replay, new DefaultLastHttpContent(body));
        assertEquals(0, body.refCnt());
        assertFalse(replay.requeue(new ArrayDeque<>(), HEAD));
    }

    @Test
    void aBodyOverTheLimitIsLetGo() {
        RequestReplay replay = new RequestReplay();
        replay.start(true);
        ByteBuf small = Unpooled.buffer(10).writeZero(10);
        send(replay, new DefaultHttpContent(small));
        assertEquals(1, small.refCnt());
        ByteBuf large = Unpooled.buffer(RequestReplay.MAX_BYTES).writeZero(RequestReplay.MAX_BYTES);
        send(replay, new DefaultHttpContent(large));
        assertEquals(0, small.refCnt(), "what was kept is released");
        assertEquals(0, large.refCnt());
        assertFalse(replay.requeue(new ArrayDeque<>(), HEAD));
    }

    @Test
    void anAnswerReleasesWhatWasKept() {
        RequestReplay replay = new RequestReplay();
        replay.start(true);
        ByteBuf body = Unpooled.copiedBuffer("x", StandardCharsets.US_ASCII);
        send(replay, new DefaultLastHttpContent(body));
        replay.release();
        assertEquals(0, body.refCnt());
        assertFalse(replay.requeue(new ArrayDeque<>(), HEAD));
    }
}
