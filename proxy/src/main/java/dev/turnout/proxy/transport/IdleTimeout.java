package dev.turnout.proxy.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} when a connection has neither read nor flushed
 * anything for the timeout. It does the job of Netty's {@code IdleStateHandler(0, 0, timeout)}
 * without its cost on the hot path: that handler turns every write's promise into a new one and
 * hangs a listener on it, several per proxied request. Here a read or a flush only stores a
 * timestamp, and one timer per connection re-arms itself for the time that is left.
 *
 * <p>A flush counts as activity when it is issued, not when the peer has taken the bytes. A peer
 * that stops reading stops the proxy's flushes (back-pressure pauses the other side), so it still
 * goes idle and is closed.
 *
 * <p>With a quiet mark shorter than the timeout it also fires a {@link Quiet} event, every time it
 * looks while the connection has been quiet that long, so that a connection between requests can
 * be put away cheaply long before it is closed.
 */
public final class IdleTimeout extends ChannelDuplexHandler {

    /**
     * The connection has been quiet (nothing read or flushed) for the quiet mark or longer; told again
     * at most every quiet mark while it stays quiet and open.
     *
     * @param idleLeftNanos how long it may stay quiet from now before it is idle
     */
    public record Quiet(long idleLeftNanos) {
    }

    private final long timeoutNanos;
    private final long quietNanos;
    private final Runnable check = this::check;
    private ChannelHandlerContext ctx;
    private Ticker ticker = Ticker.systemTicker();
    private ScheduledFuture<?> timer;
    private long lastActivityNanos;
    private boolean reading;
    private boolean stopped;

    public IdleTimeout(long timeout, TimeUnit unit) {
        this(timeout, unit, 0);
    }

    /** @param quietNanos when to fire {@link Quiet} (0: never); only a mark shorter than the timeout fires */
    public IdleTimeout(long timeout, TimeUnit unit, long quietNanos) {
        this.timeoutNanos = unit.toNanos(timeout);
        this.quietNanos = quietNanos > 0 && quietNanos < timeoutNanos ? quietNanos : 0;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.executor() instanceof AbstractScheduledEventExecutor scheduler) {
            ticker = scheduler.ticker(); // the loop's own clock, which a test can move
        }
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        lastActivityNanos = ticker.nanoTime();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        lastActivityNanos = ticker.nanoTime();
        ctx.flush();
    }

    private void start() {
        if (timer != null || stopped || timeoutNanos <= 0) {
            return;
        }
        lastActivityNanos = ticker.nanoTime();
        timer = ctx.executor().schedule(check, quietNanos > 0 ? quietNanos : timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void stop() {
        stopped = true;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void check() {
        if (stopped || !ctx.channel().isOpen()) {
            timer = null;
            return;
        }
        long quiet = reading ? 0 : ticker.nanoTime() - lastActivityNanos;
        if (quiet >= timeoutNanos) {
            // Armed again first, as IdleStateHandler does: a listener that keeps the connection
            // open hears about it again after another full timeout.
            timer = ctx.executor().schedule(check, timeoutNanos, TimeUnit.NANOSECONDS);
            ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        } else if (quietNanos == 0) {
            timer = ctx.executor().schedule(check, timeoutNanos - quiet, TimeUnit.NANOSECONDS);
        } else if (quiet < quietNanos) {
            timer = ctx.executor().schedule(check, quietNanos - quiet, TimeUnit.NANOSECONDS);
        } else {
            // Looked at again a quiet mark later: the connection may be busy now and quiet by then.
            timer = ctx.executor().schedule(check, Math.min(quietNanos, timeoutNanos - quiet), TimeUnit.NANOSECONDS);
            ctx.fireUserEventTriggered(new Quiet(timeoutNanos - quiet));
        }
    }
}
