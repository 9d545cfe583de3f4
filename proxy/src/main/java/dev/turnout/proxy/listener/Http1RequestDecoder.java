package dev.turnout.proxy.listener;

import dev.turnout.proxy.http.BodyDecoder;
import dev.turnout.proxy.http.HeadFields;
import dev.turnout.proxy.http.HeadSyntax;
import dev.turnout.proxy.http.PartialReads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The request side of an HTTP/1.1 client connection: raw bytes in, one request head and its body
 * parts out, with the strict RFC 9112 syntax checked in the same pass that finds the head's parts.
 *
 * <p>Heads: {@link HeadSyntax} walks each byte once, refuses what a lenient parser would repair
 * (obs-fold, loose request lines, bare LF, unknown versions) and records where the request line and
 * each field lie; the head is then copied out of the read buffer once into the request's own
 * {@link HeadFields}, so that no read buffer outlives the read and an idle connection holds none.
 * A refused head is never passed on: {@link Malformed} goes down the pipeline instead, and the
 * frontend answers (or, during an exchange, closes after it).
 *
 * <p>Bodies: {@link BodyDecoder} passes content through as slices of the read buffer. A body whose
 * framing is in doubt (Content-Length with Transfer-Encoding, lengths that disagree, a coding that
 * does not end in chunked) is refused with its head, so it can never be read two ways.
 *
 * <p>Time: against slow clients (slowloris), once a request's first byte arrives its head must be
 * complete within {@code header-read}, and while its body is due the client may pause at most
 * {@code body-read}; {@link ProxyFrontendHandler} says where the exchange is. When a limit passes
 * this fires {@link #EXPIRED}; the frontend answers 408 and closes, or, when it had paused reading
 * itself, calls {@link #extend()}. One timer at most per connection, re-armed for the remainder.
 */
public final class Http1RequestDecoder extends ChannelInboundHandlerAdapter implements ClientReadTimeout {

    /** The user event fired when a head was refused: 400, 414, 431 or 505. */
    record Malformed(int status) {
    }

    private enum Phase { WAITING, HEAD, BODY, DONE }

    private static final byte[] REQUEST_TIMEOUT = closingAnswer("408 Request Timeout", "client sent the request too slowly");
    private static final byte[] BAD_REQUEST = closingAnswer("400 Bad Request", "malformed request");
    private static final byte[] URI_TOO_LONG = closingAnswer("414 URI Too Long", "request line too long");
    private static final byte[] HEADERS_TOO_LARGE = closingAnswer("431 Request Header Fields Too Large",
            "request headers too large");
    private static final byte[] VERSION_NOT_SUPPORTED = closingAnswer("505 HTTP Version Not Supported",
            "only HTTP/1.1 and HTTP/1.0 are spoken here");


    private final long headerNanos;
    private final long bodyNanos;
    private final int maxRequestLine;
    private final int maxHeaderSize;
    private final Runnable tick = this::onTick;
    // Cleartext HTTP/2 with prior knowledge (h2c): the connection's first bytes are its preface.
    // Until the first bytes have been read; then let go (it holds the connection's settings).
    private Consumer<ChannelHandlerContext> onHttp2Preface;
    private final Http1ResponseEncoder responses;
    // The head being checked: the thread's shared instance, or this connection's own while a head waits for more bytes.
    private HeadSyntax syntax;
    private final BodyDecoder body = new BodyDecoder(true);
    private final Consumer<HttpContent> bodyOut = this::fireBody;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.WAITING;
    private long headDeadline;
    private long lastBodyRead;
    private ScheduledFuture<?> timer;
    // Bytes of a head, chunk line or CRLF that has not all arrived; null between reads otherwise.
    private ByteBuf pending;
    // How much of pending's head HeadSyntax has checked already.
    private int checked;
    private boolean inHead = true;

    /**
     * @param responses the encoder of this connection's answers, told each request's method (a HEAD's
     *                  answer has no body)
     */
    public Http1RequestDecoder(long headerNanos, long bodyNanos, int maxRequestLine, int maxHeaderSize,
            Http1ResponseEncoder responses, Consumer<ChannelHandlerContext> onHttp2Preface) {
        this.headerNanos = headerNanos;
        this.bodyNanos = bodyNanos;
        this.maxRequestLine = maxRequestLine;
        this.maxHeaderSize = maxHeaderSize;
        this.responses = responses;
        this.onHttp2Preface = onHttp2Preface;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    // ---- decoding -------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.DONE) {
            ReferenceCountUtil.release(msg); // a refused or timed-out connection reads nothing more
            return;
        }
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (onHttp2Preface != null && in.isReadable()) {
            Consumer<ChannelHandlerContext> toHttp2 = onHttp2Preface;
            onHttp2Preface = null;
            // "PRI" is reserved for the HTTP/2 preface (RFC 9113 3.4): no HTTP/1.1 request starts so.
            if (in.readableBytes() >= 4 && in.toString(in.readerIndex(), 4, StandardCharsets.US_ASCII).equals("PRI ")) {
                phase = Phase.DONE;
                toHttp2.accept(ctx);
                ctx.pipeline().fireChannelRead(in); // from the start: the HTTP/2 codec now reads it
                return;
            }
        }
        ByteBuf bytes = in;
        if (pending != null) {
            bytes = PartialReads.join(pending, in);
            pending = null;
        }
        try {
            decode(bytes);
        } finally {
            keepRest(bytes);
            if (checked == 0) {
                syntax = null; // no head is half checked: the thread's instance checks the next one
            }
        }
    }

    private void decode(ByteBuf bytes) {
        while (bytes.isReadable() && phase != Phase.DONE) {
            if (!inHead) {
                if (phase == Phase.BODY) {
                    lastBodyRead = System.nanoTime();
                }
                if (!body.decode(bytes, bodyOut)) {
                    return;
                }
                inHead = true;
                continue;
            }
            if (phase == Phase.WAITING) {
                phase = Phase.HEAD;
                headDeadline = System.nanoTime() + headerNanos;
                arm(headerNanos);
            }
            if (checked == 0) {
                syntax = HeadSyntax.sharedForRequests();
                syntax.reset();
            }
            int verdict = syntax.feed(bytes, bytes.readerIndex() + checked);
            checked += syntax.consumed();
            int tooLong = tooLong();
            if (tooLong != 0) {
                refuse(tooLong);
                return;
            }
            if (verdict == HeadSyntax.MORE) {
                syntax = syntax.keepForNextRead();
                return;
            }
            if (verdict != HeadSyntax.COMPLETE) {
                refuse(verdict);
                return;
            }
            int length = checked;
            checked = 0;
            byte[] head = new byte[length];
            bytes.readBytes(head);
            onHead(head);
        }
    }

    /** 414 or 431 when the head so far passes a limit, else 0. */
    private int tooLong() {
        int position = syntax.position();
        if (syntax.inStartLine()) {
            // Empty lines before it count too: else a stream of CRLFs would be kept until the head's deadline.
            return position - Math.max(syntax.startLine(), 0) > maxRequestLine ? 414 : 0;
        }
        if (syntax.startLineEnd() - syntax.startLine() > maxRequestLine) {
            return 414;
        }
        return position - syntax.startLineEnd() > maxHeaderSize ? 431 : 0;
    }

    private void onHead(byte[] head) {
        int methodEnd = syntax.firstSpace();
        int targetEnd = syntax.secondSpace();
        HttpMethod method = method(head, syntax.startLine(), methodEnd);
        if (method == null) {
            refuse(400);
            return;
        }
        String uri = new String(head, methodEnd + 1, targetEnd - methodEnd - 1, StandardCharsets.ISO_8859_1);
        // "HTTP/1." and a digit (HeadSyntax checked it); a later 1.x is spoken to as 1.1 (RFC 9110 2.5).
        HttpVersion version = head[targetEnd + 8] == '0' ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
        HeadFields fields = new HeadFields(head, syntax.takeSpans(), syntax.fields(), false);
        long framing = framing(fields, version);
        if (framing == BROKEN) {
            refuse(400);
            return;
        }
        responses.requested(method);
        ctx.fireChannelRead(new DefaultHttpRequest(version, method, uri, fields));
        if (framing == CHUNKED) {
            body.chunked();
            inHead = false;
        } else if (framing > 0) {
            body.fixed(framing);
            inHead = false;
        } else {
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    private static final long CHUNKED = -1;
    private static final long BROKEN = -2;

    /**
     * The body's length by RFC 9112 6.3 for a request: chunked when Transfer-Encoding ends in it, else
     * Content-Length, else none; {@link #BROKEN} when it cannot be told for sure.
     */
    private static long framing(HeadFields fields, HttpVersion version) {
        boolean coded = fields.contains(HttpHeaderNames.TRANSFER_ENCODING);
        boolean sized = fields.contains(HttpHeaderNames.CONTENT_LENGTH);
        if (coded) {
            if (sized || version == HttpVersion.HTTP_1_0) {
                return BROKEN; // both (the smuggling vector), or a coding HTTP/1.0 does not know
            }
            // A coding that does not end in chunked has no knowable length (RFC 9112 6.3: 400).
            return BodyDecoder.endsInChunked(fields) ? CHUNKED : BROKEN;
        }
        if (!sized) {
            return 0;
        }
        long length = BodyDecoder.contentLength(fields);
        return length < 0 ? BROKEN : length;
    }

    private static final HttpMethod[] COMMON = {HttpMethod.GET, HttpMethod.POST, HttpMethod.HEAD, HttpMethod.PUT,
        HttpMethod.DELETE, HttpMethod.OPTIONS, HttpMethod.PATCH, HttpMethod.TRACE, HttpMethod.CONNECT};
    private static final byte[][] COMMON_NAMES = new byte[COMMON.length][];

    static {
        for (int i = 0; i < COMMON.length; i++) {
            COMMON_NAMES[i] = COMMON[i].name().getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** The method, as the constant for a common one (no String made); any other token as sent; null if no token. */
    private static HttpMethod method(byte[] head, int start, int end) {
        for (int i = 0; i < COMMON.length; i++) {
            byte[] name = COMMON_NAMES[i];
            if (name.length == end - start && Arrays.equals(name, 0, name.length, head, start, end)) {
                return COMMON[i];
            }
        }
        try {
            return HttpMethod.valueOf(new String(head, start, end - start, StandardCharsets.ISO_8859_1));
        } catch (IllegalArgumentException notAToken) {
            return null;
        }
    }

    private void fireBody(HttpContent content) {
        boolean broken = content.decoderResult().isFailure();
        ctx.fireChannelRead(content);
        if (broken) {
            phase = Phase.DONE; // the framing is lost: no byte after it can be told to start a request
        }
    }

    private void refuse(int status) {
        phase = Phase.DONE;
        stopTimer();
        checked = 0;
        ctx.fireUserEventTriggered(new Malformed(status));
    }

    /** Keeps what is left of {@code bytes} (part of a head or a line) for the next read, in a buffer of its size. */
    private void keepRest(ByteBuf bytes) {
        if (!bytes.isReadable() || phase == Phase.DONE) {
            checked = 0;
            bytes.release();
            return;
        }
        pending = PartialReads.keep(ctx.alloc(), bytes);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stopTimer();
        if (pending != null) {
            ByteBuf rest = pending;
            pending = null;
            // A connection leaving HTTP (a WebSocket tunnel): bytes that followed the head are the tunnel's.
            ctx.fireChannelRead(rest);
        }
        body.reset();
    }

    // ---- read deadlines -----------------------------------------------------------------------

    /** A request head was decoded; its body, if it has one, is due next. */
    @Override
    public void headReceived(boolean bodyFollows) {
        if (bodyFollows) {
            phase = Phase.BODY;
            lastBodyRead = System.nanoTime();
            stopTimer(); // it was set for the head's deadline, which may come later
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
     * Answers 408 to a head that never completed, and closes. Written here, under the encoder and the
     * compressor, because no request was decoded for them to answer.
     */
    @Override
    public void rejectSlowHead() {
        phase = Phase.DONE;
        LingeringClose.afterWrite(ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)));
    }

    /** Answers a refused head ({@link Malformed}), and closes; written here for the same reason. */
    @Override
    public void rejectMalformedHead(int status) {
        phase = Phase.DONE;
        byte[] answer = switch (status) {
            case 414 -> URI_TOO_LONG;
            case 431 -> HEADERS_TOO_LARGE;
            case HeadSyntax.VERSION_NOT_SUPPORTED -> VERSION_NOT_SUPPORTED;
            default -> BAD_REQUEST;
        };
        LingeringClose.afterWrite(ctx.writeAndFlush(Unpooled.wrappedBuffer(answer)));
    }

    /** Whether part of a request (its head, or a body still due) has arrived and not all of it. */
    @Override
    public boolean midRequest() {
        return phase == Phase.HEAD || phase == Phase.BODY;
    }

    /**
     * Whether the connection has served a request and holds nothing of the next: it may be parked, and
     * come back with a decoder of its own (never one that looks for the HTTP/2 preface).
     */
    boolean betweenRequests() {
        return phase == Phase.WAITING && pending == null && onHttp2Preface == null;
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

    private void stopTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
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
        stopTimer();
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (!inHead && body.active()) {
            // The client closed mid-body: the backend must never see it end well.
            body.reset();
            inHead = true;
        }
        ctx.fireChannelInactive();
    }
}
