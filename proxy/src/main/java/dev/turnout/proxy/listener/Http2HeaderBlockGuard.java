package dev.turnout.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/2 slowloris: a header block (HEADERS, then CONTINUATION frames) that never ends holds the
 * whole connection, since no other frame may come between, and the codec buffers it unseen. This
 * handler, in front of the codec, follows the frame boundaries in the bytes going by (it copies
 * nothing and changes nothing) and closes the connection when a header block is still open
 * {@code header-read} after it started, as an HTTP/1.1 head that never ends is.
 */
final class Http2HeaderBlockGuard extends ChannelInboundHandlerAdapter {

    private static final int PREFACE_LENGTH = 24;
    private static final int FRAME_HEADER_LENGTH = 9;
    private static final int HEADERS = 0x1;
    private static final int PUSH_PROMISE = 0x5;
    private static final int CONTINUATION = 0x9;
    private static final int END_HEADERS = 0x4;

    private final long headerNanos;
    private final Runnable tick = this::onTick;
    private final byte[] frameHeader = new byte[FRAME_HEADER_LENGTH];
    private ChannelHandlerContext ctx;
    private Ticker ticker = Ticker.systemTicker();
    private ScheduledFuture<?> timer;
    private int prefaceLeft = PREFACE_LENGTH;
    private int headerRead;
    private long payloadLeft;
    private boolean inBlock;
    private long blockStart;

    Http2HeaderBlockGuard(long headerNanos) {
        this.headerNanos = headerNanos;
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
        if (msg instanceof ByteBuf bytes) {
            follow(bytes, bytes.readerIndex(), bytes.writerIndex());
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }

    private void follow(ByteBuf bytes, int from, int to) {
        int at = from;
        while (at < to) {
            if (prefaceLeft > 0) {
                int skip = Math.min(prefaceLeft, to - at);
                prefaceLeft -= skip;
                at += skip;
            } else if (payloadLeft > 0) {
                int skip = (int) Math.min(payloadLeft, to - at);
                payloadLeft -= skip;
                at += skip;
            } else {
                frameHeader[headerRead++] = bytes.getByte(at++);
                if (headerRead == FRAME_HEADER_LENGTH) {
                    headerRead = 0;
                    onFrameHeader();
                }
            }
        }
    }

    private void onFrameHeader() {
        payloadLeft = ((frameHeader[0] & 0xffL) << 16) | ((frameHeader[1] & 0xff) << 8) | (frameHeader[2] & 0xff);
        int type = frameHeader[3] & 0xff;
        if (type == HEADERS || type == PUSH_PROMISE || type == CONTINUATION) {
            boolean open = (frameHeader[4] & END_HEADERS) == 0;
            if (open && !inBlock) {
                blockStart = ticker.nanoTime();
                if (timer == null) {
                    timer = ctx.executor().schedule(tick, headerNanos, TimeUnit.NANOSECONDS);
                }
            }
            inBlock = open;
        }
    }

    private void onTick() {
        timer = null;
        if (!inBlock || !ctx.channel().isActive()) {
            return;
        }
        long left = blockStart + headerNanos - ticker.nanoTime();
        if (left > 0) {
            timer = ctx.executor().schedule(tick, left, TimeUnit.NANOSECONDS);
            return;
        }
        ctx.close(); // from in front of the codec: no GOAWAY can follow an unfinished header block anyway
    }
}
