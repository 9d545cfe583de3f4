package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Http2StreamGuardTest {

    private final List<Object> events = new ArrayList<>();
    private final Http2StreamGuard guard = new Http2StreamGuard(TimeUnit.SECONDS.toNanos(30), TimeUnit.SECONDS.toNanos(60));
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(guard, new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        });
    }

    private void advance(long seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aBodyThatStopsForBodyReadIsReported() {
        guard.headReceived(true);
        advance(20);
        channel.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[] {1})));
        advance(20);
        assertTrue(events.isEmpty(), "each piece of body starts the 30 s again");
        advance(10);
        assertEquals(List.of(ClientReadTimeout.EXPIRED), events);
        assertTrue(guard.midRequest());
    }

    @Test
    void aBodyThatEndedOrAStoppedGuardReportsNothing() {
        guard.headReceived(true);
        guard.bodyReceived();
        advance(60);
        guard.headReceived(false);
        advance(60);
        assertTrue(events.isEmpty());
        guard.headReceived(true);
        guard.stop();
        advance(60);
        assertTrue(events.isEmpty());
    }

    @Test
    void extendingStartsTheLimitAgain() {
        guard.headReceived(true);
        advance(25);
        guard.extend();
        advance(25);
        assertTrue(events.isEmpty());
        advance(5);
        assertEquals(1, events.size());
    }
}
