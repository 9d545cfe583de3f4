package dev.turnout.proxy.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IdleTimeoutTest {

    private final List<Object> events = new ArrayList<>();
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new IdleTimeout(10, TimeUnit.SECONDS), new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
            }
        });
    }

    private void advance(long seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aQuietConnectionHearsOnceTheTimeoutHasPassed() {
        advance(9);
        assertTrue(events.isEmpty());
        advance(1);
        assertEquals(List.of(IdleStateEvent.ALL_IDLE_STATE_EVENT), events);
        advance(10);
        assertEquals(2, events.size(), "still quiet after another full timeout: told again");
    }

    @Test
    void aReadPutsTheTimeoutOff() {
        advance(6);
        channel.writeInbound("request");
        advance(6);
        assertTrue(events.isEmpty(), "only 6 s since the read");
        advance(4);
        assertEquals(1, events.size());
        channel.finishAndReleaseAll();
    }

    @Test
    void aFlushPutsTheTimeoutOffButAnUnflushedWriteDoesNot() {
        advance(6);
        channel.writeOneOutbound("queued, not flushed");
        advance(4);
        assertEquals(1, events.size(), "a write that was never flushed is no activity");
        advance(6);
        channel.flushOutbound();
        advance(6);
        assertEquals(1, events.size(), "only 6 s since the flush");
        advance(4);
        assertEquals(2, events.size());
        channel.finishAndReleaseAll();
    }

    @Test
    void aClosedConnectionStopsTheTimer() {
        channel.close();
        advance(30);
        assertTrue(events.isEmpty());
    }

    @Test
    void aQuietMarkIsHeardEachMarkUntilTheTimeoutWithWhatIsLeftOfIt() {
        List<Object> heard = new ArrayList<>();
        EmbeddedChannel quiet = new EmbeddedChannel();
        quiet.freezeTime();
        quiet.pipeline().addLast(new IdleTimeout(10, TimeUnit.SECONDS, TimeUnit.SECONDS.toNanos(3)),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        heard.add(evt);
                    }
                });
        quiet.advanceTimeBy(2, TimeUnit.SECONDS);
        quiet.runScheduledPendingTasks();
        assertTrue(heard.isEmpty());
        quiet.advanceTimeBy(1, TimeUnit.SECONDS);
        quiet.runScheduledPendingTasks();
        assertEquals(List.of(new IdleTimeout.Quiet(TimeUnit.SECONDS.toNanos(7))), heard);

        quiet.advanceTimeBy(2, TimeUnit.SECONDS);
        quiet.writeInbound("request"); // activity: the next mark is 3 s from here
        quiet.advanceTimeBy(1, TimeUnit.SECONDS);
        quiet.runScheduledPendingTasks();
        assertEquals(1, heard.size(), "only 1 s since the read");
        quiet.advanceTimeBy(2, TimeUnit.SECONDS);
        quiet.runScheduledPendingTasks();
        assertEquals(new IdleTimeout.Quiet(TimeUnit.SECONDS.toNanos(7)), heard.get(1));
        quiet.advanceTimeBy(3, TimeUnit.SECONDS);
        quiet.runScheduledPendingTasks();
        assertEquals(new IdleTimeout.Quiet(TimeUnit.SECONDS.toNanos(4)), heard.get(2), "told again a mark later");
        quiet.advanceTimeBy(4, TimeUnit.SECONDS);
        quiet.runScheduledPendingTasks();
        assertEquals(List.of(IdleStateEvent.ALL_IDLE_STATE_EVENT), heard.subList(3, heard.size()),
                "then idle at the timeout, nothing before it");
        quiet.finishAndReleaseAll();
    }

    @Test
    void aQuietMarkNoShorterThanTheTimeoutIsNeverHeard() {
        List<Object> heard = new ArrayList<>();
        EmbeddedChannel quiet = new EmbeddedChannel();
        quiet.freezeTime();
        quiet.pipeline().addLast(new IdleTimeout(1, TimeUnit.SECONDS, TimeUnit.SECONDS.toNanos(1)),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        heard.add(evt);
                    }
                });
        quiet.advanceTimeBy(1, TimeUnit.SECONDS);
        quiet.runScheduledPendingTasks();
        assertEquals(List.of(IdleStateEvent.ALL_IDLE_STATE_EVENT), heard);
    }
}
