package dev.turnout.proxy.listener;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * The deadlines of one HTTP/2 stream, the ones an HTTP/1.1 connection has from {@link Http1RequestDecoder}
 * and its idle timeout; a connection's streams cannot use those, since another stream (or PINGs)
 * keeps the connection busy.
 * <ul>
 * <li>Body: while a request body is due, the client may pause at most {@code body-read}; then
 *     {@link #EXPIRED} goes to the frontend, which answers 408 (or resets the stream once the
 *     answer started).</li>
 * <li>Sending: a stream whose client keeps its flow-control window shut (the zero-window stall) for
 *     {@code idle} is reset, so it holds its backend connection no longer than an idle connection
 *     would.</li>
 * </ul>
 * A request head on a stream always arrives whole, so there is no head deadline here; an
 * unfinished header block holds the whole connection, and {@link Http2HeaderBlockGuard} bounds it.
 */
final class Http2StreamGuard extends ChannelDuplexHandler implements ClientReadTimeout {

    private final long bodyNanos;
    private final long sendNanos;
    private final Runnable tick = this::onTick;
    private ChannelHandlerContext ctx;
    private Ticker ticker = Ticker.systemTicker();
    private ScheduledFuture<?> timer;
    private boolean bodyDue;
    private long lastBodyRead;
    private long unwritableSince = -1;
    private boolean stopped;

    Http2StreamGuard(long bodyNanos, long sendNanos) {
        this.bodyNanos = bodyNanos;
        this.sendNanos = sendNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.executor() instanceof AbstractScheduledEventExecutor scheduler) {
            ticker = scheduler.ticker(); // the loop's own clock, which a test can move
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpContent) {
            lastBodyRead = ticker.nanoTime();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // A window shut from the stream's start never changes, so writability is looked at here too.
        if (unwritableSince < 0 && !ctx.channel().isWritable()) {
            blocked();
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            unwritableSince = -1;
        } else if (unwritableSince < 0) {
            blocked();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void blocked() {
        unwritableSince = ticker.nanoTime();
        arm(sendNanos);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void headReceived(boolean bodyFollows) {
        if (bodyFollows) {
            bodyDue = true;
            lastBodyRead = ticker.nanoTime();
            arm(bodyNanos);
        }
    }

    @Override
    public void bodyReceived() {
        bodyDue = false;
    }

    @Override
    public void rejectSlowHead() {
        ctx.close(); // unreachable on a stream (its head comes whole), but a refusal still ends it
    }

    @Override
    public void rejectMalformedHead(int status) {
        ctx.close();
    }

    @Override
    public boolean midRequest() {
        return bodyDue;
    }

    @Override
    public void stop() {
        stopped = true;
        bodyDue = false;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void extend() {
        if (bodyDue) {
            lastBodyRead = ticker.nanoTime();
            arm(bodyNanos);
        }
    }

    private void arm(long delayNanos) {
        if (timer == null && !stopped) {
            timer = ctx.executor().schedule(tick, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void onTick() {
        timer = null;
        if (stopped || !ctx.channel().isActive()) {
            return;
        }
        long now = ticker.nanoTime();
        if (unwritableSince >= 0 && now - unwritableSince >= sendNanos) {
            stop();
            ctx.channel().close(); // RST_STREAM: the client would not take the answer
            return;
        }
        long next = Long.MAX_VALUE;
        if (unwritableSince >= 0) {
            next = sendNanos - (now - unwritableSince);
        }
        if (bodyDue) {
            long left = lastBodyRead + bodyNanos - now;
            if (left <= 0) {
                ctx.fireUserEventTriggered(EXPIRED); // the frontend stops this guard, or extends it when it paused reading
                return;
            }
            next = Math.min(next, left);
        }
        if (next != Long.MAX_VALUE) {
            arm(next);
        }
    }
}
