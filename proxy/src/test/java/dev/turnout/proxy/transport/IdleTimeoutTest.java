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
        watch(new IdleTimeout(10, TimeUnit.SECONDS));
    }

    /** A connection with {@code idle} in front of a handler that records the events it fires, on a frozen clock. */
    private void watch(IdleTimeout idle) {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        events.clear();
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(idle, new ChannelInboundHandlerAdapter() {
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
        watch(new IdleTimeout(10, TimeUnit.SECONDS, TimeUnit.SECONDS.toNanos(3)));
        advance(2);
        assertTrue(events.isEmpty());
        advance(1);
        assertEquals(List.of(new IdleTimeout.Quiet(TimeUnit.SECONDS.toNanos(7))), events);

        advance(2);
        channel.writeInbound("request"); // activity: the next mark is 3 s from here
        advance(1);
        assertEquals(1, events.size(), "only 1 s since the read");
        advance(2);
        assertEquals(new IdleTimeout.Quiet(TimeUnit.SECONDS.toNanos(7)), events.get(1));
        advance(3);
        assertEquals(new IdleTimeout.Quiet(TimeUnit.SECONDS.toNanos(4)), events.get(2), "told again a mark later");
        advance(4);
        assertEquals(List.of(IdleStateEvent.ALL_IDLE_STATE_EVENT), events.subList(3, events.size()),
                "then idle at the timeout, nothing before it");
        channel.finishAndReleaseAll();
    }

    @Test
    void aQuietMarkNoShorterThanTheTimeoutIsNeverHeard() {
        watch(new IdleTimeout(1, TimeUnit.SECONDS, TimeUnit.SECONDS.toNanos(1)));
        advance(1);
        assertEquals(List.of(IdleStateEvent.ALL_IDLE_STATE_EVENT), events);
    }
}
