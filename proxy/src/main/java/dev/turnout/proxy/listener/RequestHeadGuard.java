package dev.turnout.proxy.listener;

import dev.turnout.proxy.http.HeadSyntax;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Guards the raw bytes of each request head before Netty's decoder sees them.
 *
 * <p>Syntax: {@link HeadSyntax} refuses what the decoder would repair (obs-fold, loose
 * request lines, unknown versions); a refused head is never decoded: {@link Malformed} goes down
 * the pipeline and the frontend answers (or, during an exchange, closes after it).
 *
 * <p>Time: against slow clients (slowloris), once a request's first byte arrives its head must be complete
 * within {@code header-read}, and while its body is due the client may pause at most
 * {@code body-read}. It sits in front of the HTTP decoder, so it sees the raw bytes arrive;
 * {@link ProxyFrontendHandler} tells it where the decoded stream is. When a limit passes it fires
 * {@link #EXPIRED} down the pipeline; the frontend answers 408 and closes, or, when it had paused
 * reading itself (a backend slow to take the body, a pipelined request waiting its turn), calls
 * {@link #extend()}: the client cannot be blamed for bytes nobody read.
 *
 * <p>One timer at most per connection, which a tick re-arms for the remainder rather than one
 * timer per read. An idle keep-alive connection waiting for its next request is the idle
 * timeout's business, not this one's.
 */
final class RequestHeadGuard extends ChannelInboundHandlerAdapter implements ClientReadTimeout {

    /** The user event fired when a head broke the syntax; {@code status} is 400 or 505. */
    record Malformed(int status) {
    }

    private enum Phase { WAITING, HEAD, BODY, DONE }

    private static final byte[] REQUEST_TIMEOUT = closingAnswer("408 Request Timeout", "client sent the request too slowly");
    private static final byte[] BAD_REQUEST = closingAnswer("400 Bad Request", "malformed request");
    private static final byte[] VERSION_NOT_SUPPORTED = closingAnswer("505 HTTP Version Not Supported",
            "only HTTP/1.1 and HTTP/1.0 are spoken here");

    private final long headerNanos;
    private final long bodyNanos;
    private final Runnable tick = this::onTick;
    // Cleartext HTTP/2 with prior knowledge (h2c): the connection's first bytes are its preface.
    private final Consumer<ChannelHandlerContext> onHttp2Preface;
    private boolean firstBytes = true;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.WAITING;
    private long headDeadline;
    private long lastBodyRead;
    private ScheduledFuture<?> timer;
    private final HeadSyntax syntax = HeadSyntax.forRequests();
    // While the raw bytes of a head are arriving: from its first byte to its blank line.
    private boolean scanning;

    RequestHeadGuard(long headerNanos, long bodyNanos, Consumer<ChannelHandlerContext> onHttp2Preface) {
        this.headerNanos = headerNanos;
        this.bodyNanos = bodyNanos;
        this.onHttp2Preface = onHttp2Preface;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.DONE) {
            ReferenceCountUtil.release(msg); // a refused or timed-out connection reads nothing more
            return;
        }
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (firstBytes && bytes.isReadable()) {
            firstBytes = false;
            // "PRI" is reserved for the HTTP/2 preface (RFC 9113 3.4): no HTTP/1.1 request starts so.
            if (onHttp2Preface != null && bytes.readableBytes() >= 4
                    && bytes.toString(bytes.readerIndex(), 4, StandardCharsets.US_ASCII).equals("PRI ")) {
                phase = Phase.DONE;
                onHttp2Preface.accept(ctx);
                ctx.pipeline().fireChannelRead(bytes); // from the start: the HTTP/2 codec now reads it
                return;
            }
        }
        // Pipelined heads may share a buffer: each head goes on to the decoder before the next is
        // checked, so that the decoder has said where the first request ends.
        while (bytes.isReadable() && phase != Phase.DONE) {
            if (phase == Phase.WAITING) {
                phase = Phase.HEAD;
                headDeadline = System.nanoTime() + headerNanos;
                arm(headerNanos);
                syntax.reset();
                scanning = true;
            } else if (phase == Phase.BODY) {
                lastBodyRead = System.nanoTime();
            }
            if (!scanning) {
                break;
            }
            int verdict = syntax.feed(bytes);
            if (verdict == HeadSyntax.MORE) {
                break;
            }
            scanning = false;
            if (verdict != HeadSyntax.COMPLETE) {
                bytes.release();
                phase = Phase.DONE;
                ctx.fireUserEventTriggered(new Malformed(verdict));
                return;
            }
            if (syntax.consumed() == bytes.readableBytes()) {
                break;
            }
            ctx.fireChannelRead(bytes.readRetainedSlice(syntax.consumed()));
        }
        if (phase == Phase.DONE) {
            bytes.release();
            return;
        }
        ctx.fireChannelRead(bytes);
    }

    /** A request head was decoded; its body, if it has one, is due next. */
    @Override
    public void headReceived(boolean bodyFollows) {
        if (bodyFollows) {
            phase = Phase.BODY;
            lastBodyRead = System.nanoTime();
            if (timer != null) {
                timer.cancel(false); // it was set for the head's deadline, which may come later
                timer = null;
            }
            arm(bodyNanos);
        } else {
            phase = Phase.WAITING;
        }
    }

    /** The request's body ended: the next bytes start the next request. */
    @Override
    public void bodyReceived() {
        phase = Phase.WAITING;
    }

    /**
     * Answers 408 to a head that never completed, and closes. Written here, under the HTTP codec
     * and the compressor, because no request was decoded for them to answer.
     */
    @Override
    public void rejectSlowHead() {
        phase = Phase.DONE;
        LingeringClose.afterWrite(ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)));
    }

    /** Answers a head refused by the syntax check ({@link Malformed}), and closes; written here for the same reason. */
    @Override
    public void rejectMalformedHead(int status) {
        phase = Phase.DONE;
        LingeringClose.afterWrite(ctx.writeAndFlush(Unpooled.wrappedBuffer(
                status == HeadSyntax.VERSION_NOT_SUPPORTED ? VERSION_NOT_SUPPORTED : BAD_REQUEST)));
    }

    /** Whether part of a request (its head, or a body still due) has arrived and not all of it. */
    @Override
    public boolean midRequest() {
        return phase == Phase.HEAD || phase == Phase.BODY;
    }

    /** Nothing more is read from this connection (it is closing). */
    @Override
    public void stop() {
        phase = Phase.DONE;
    }

    private void arm(long delayNanos) {
        if (timer == null) {
            timer = ctx.executor().schedule(tick, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void onTick() {
        timer = null;
        long now = System.nanoTime();
        long remaining = switch (phase) {
            case HEAD -> headDeadline - now;
            case BODY -> lastBodyRead + bodyNanos - now;
            default -> Long.MAX_VALUE;
        };
        if (remaining == Long.MAX_VALUE || !ctx.channel().isActive()) {
            return;
        }
        if (remaining > 0) {
            arm(remaining);
            return;
        }
        ctx.fireUserEventTriggered(EXPIRED);
    }

    /** Starts the current limit again from now. */
    @Override
    public void extend() {
        long now = System.nanoTime();
        if (phase == Phase.HEAD) {
            headDeadline = now + headerNanos;
            arm(headerNanos);
        } else if (phase == Phase.BODY) {
            lastBodyRead = now;
            arm(bodyNanos);
        }
    }

    private static byte[] closingAnswer(String status, String message) {
        String body = status + ": " + message + "\n";
        return ("HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.DONE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }
}
