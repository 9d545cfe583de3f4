package dev.turnout.proxy.upstream;

import dev.turnout.proxy.http.BodyDecoder;
import dev.turnout.proxy.http.HeadFields;
import dev.turnout.proxy.http.HeadSyntax;
import dev.turnout.proxy.http.PartialReads;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The answer side of a backend HTTP/1.1 connection: raw bytes in, each answer's head and its body
 * parts out, as {@code HttpResponse} then {@code HttpContent}s ending in a {@code LastHttpContent}.
 *
 * <p>Heads: {@link HeadSyntax} checks each byte once (RFC 9112, with the repairs a proxy may make to
 * a response: obs-fold unfolded, whitespace before a colon dropped, a bare LF) and records where the
 * status line and each field lie; the head is then copied out of the read buffer once into the
 * answer's own {@link HeadFields}, so that no read buffer outlives the read and an idle pooled
 * connection holds none. A head that is broken (its syntax, its status line, its size, or a framing
 * that cannot be told for sure) is never passed on: a {@link CorruptedFrameException} goes down the
 * pipeline, the exchange answers 502, and the connection reads nothing more.
 *
 * <p>Bodies by RFC 9112 6.3: the answer to HEAD, an interim answer, 204 and 304 have none; else
 * chunked when Transfer-Encoding ends in it, up to the close for any other coding, Content-Length,
 * or up to the close. {@link BodyDecoder} passes content through as slices of the read buffer. An
 * interim head is followed by an empty {@code LastHttpContent}, as Netty's decoder does. After a 101
 * the connection leaves HTTP: when the WebSocket upgrade removes this handler, the bytes that follow
 * go on to the tunnel; otherwise they are dropped.
 *
 * <p>Answers pair with requests in order: {@link Http1RequestEncoder} tells this decoder each one's
 * method. Bytes while no request is outstanding break the connection, and bytes after an answer's
 * framing are {@linkplain #hasLeftovers() leftovers}: either way the connection is not pooled.
 */
public final class Http1ResponseDecoder extends ChannelInboundHandlerAdapter {

    private static final long NO_BODY = 0;
    private static final long CHUNKED = -1;
    private static final long UNTIL_CLOSE = -2;
    private static final long BROKEN = -3;
    private static final byte[] HTTP_1 = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);

    private final int maxStatusLine;
    private final int maxHeaderSize;
    // The head being checked: the thread's shared instance, or this connection's own while a head waits for more bytes.
    private HeadSyntax syntax;
    private final BodyDecoder body = new BodyDecoder(false);
    private final Consumer<HttpContent> bodyOut = this::fireBody;
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    private ChannelHandlerContext ctx;
    // Bytes of a head or a chunk line that has not all arrived; null between reads otherwise.
    private ByteBuf pending;
    // The buffer being decoded, while it is: what is left of it after an answer is a leftover.
    private ByteBuf reading;
    // How much of the head in pending HeadSyntax has checked already.
    private int checked;
    private boolean inHead = true;
    // The connection is out of step (a broken answer) or left HTTP (101): nothing more is decoded.
    private boolean done;

    /**
     * @param maxStatusLine the longest status line taken (with any empty lines before it)
     * @param maxHeaderSize the most bytes of field lines taken after the status line
     */
    public Http1ResponseDecoder(int maxStatusLine, int maxHeaderSize) {
        this.maxStatusLine = maxStatusLine;
        this.maxHeaderSize = maxHeaderSize;
    }

    /** A request was sent: its answer comes next, in this order. */
    public void requested(HttpMethod method) {
        methods.add(method);
    }

    /** Whether bytes other than whole answers arrived: the connection is out of step and must not be pooled. */
    boolean hasLeftovers() {
        if (done || body.active()) {
            return true;
        }
        return reading != null ? reading.isReadable() : pending != null;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (done) {
            in.release();
            return;
        }
        ByteBuf bytes = in;
        if (pending != null) {
            bytes = PartialReads.join(pending, in);
            pending = null;
        }
        reading = bytes;
        try {
            decode(bytes);
        } finally {
            reading = null;
            keepRest(bytes);
            if (checked == 0) {
                syntax = null; // no head is half checked: the thread's instance checks the next one
            }
        }
    }

    private void decode(ByteBuf bytes) {
        while (bytes.isReadable() && !done && !ctx.isRemoved()) {
            if (!inHead) {
                if (!body.decode(bytes, bodyOut)) {
                    return;
                }
                inHead = true;
                continue;
            }
            if (checked == 0) {
                if (methods.isEmpty()) {
                    fail("backend sent bytes with no request outstanding");
                    return;
                }
                syntax = HeadSyntax.sharedForResponses();
                syntax.reset();
            }
            int verdict = syntax.feed(bytes, bytes.readerIndex() + checked);
            checked += syntax.consumed();
            if (tooLong()) {
                fail("backend sent a response head over the size limits");
                return;
            }
            if (verdict == HeadSyntax.MORE) {
                syntax = syntax.keepForNextRead();
                return;
            }
            if (verdict != HeadSyntax.COMPLETE) {
                fail("backend sent a malformed response head");
                return;
            }
            byte[] head = new byte[checked];
            checked = 0;
            bytes.readBytes(head);
            onHead(head);
        }
    }

    private boolean tooLong() {
        if (syntax.inStartLine()) {
            return syntax.position() > maxStatusLine;
        }
        return syntax.startLineEnd() > maxStatusLine || syntax.position() - syntax.startLineEnd() > maxHeaderSize;
    }

    private void onHead(byte[] head) {
        int start = syntax.startLine();
        int end = syntax.startLineEnd();
        HttpResponseStatus status = status(head, start, end);
        if (status == null) {
            fail("backend sent a malformed status line");
            return;
        }
        HttpVersion version = head[start + 7] == '0' ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
        HeadFields fields = new HeadFields(head, syntax.takeSpans(), syntax.fields(), syntax.folded());
        int code = status.code();
        boolean interim = code < 200;
        HttpMethod method = interim ? methods.peek() : methods.poll();
        long framing = interim || code == 204 || code == 304 || HttpMethod.HEAD.equals(method) ? NO_BODY
                : framing(fields, version);
        if (framing == BROKEN) {
            fail("backend sent a response whose body length cannot be told");
            return;
        }
        ctx.fireChannelRead(new DefaultHttpResponse(version, status, fields));
        if (code == 101) {
            done = true; // the connection leaves HTTP: a WebSocket tunnel (which removed this handler) or nothing
        }
        if (ctx.isRemoved()) {
            return;
        }
        if (framing == CHUNKED) {
            body.chunked();
            inHead = false;
        } else if (framing == UNTIL_CLOSE) {
            body.untilClose();
            inHead = false;
        } else if (framing > 0) {
            body.fixed(framing);
            inHead = false;
        } else {
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /**
     * {@code HTTP/1.x SP 3DIGIT SP reason}; a status line that ends right after its code is taken too,
     * as its reason says nothing. The reason is kept when it is not the code's usual one. Null if broken.
     */
    private static HttpResponseStatus status(byte[] head, int start, int end) {
        int length = end - start;
        if (length < 12 || !Arrays.equals(head, start, start + 7, HTTP_1, 0, 7) || !digit(head[start + 7])
                || head[start + 8] != ' ' || (length > 12 && head[start + 12] != ' ')) {
            return null;
        }
        int code = 0;
        for (int i = start + 9; i < start + 12; i++) {
            if (!digit(head[i])) {
                return null;
            }
            code = code * 10 + head[i] - '0';
        }
        HttpResponseStatus usual = HttpResponseStatus.valueOf(code);
        int reasonStart = Math.min(start + 13, end);
        if (sameReason(usual.reasonPhrase(), head, reasonStart, end)) {
            return usual;
        }
        return new HttpResponseStatus(code, new String(head, reasonStart, end - reasonStart, StandardCharsets.ISO_8859_1));
    }

    private static boolean sameReason(String reason, byte[] head, int start, int end) {
        if (reason.length() != end - start) {
            return false;
        }
        for (int i = 0; i < reason.length(); i++) {
            if (reason.charAt(i) != (head[start + i] & 0xff)) {
                return false;
            }
        }
        return true;
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    /**
     * The body's framing by RFC 9112 6.3 for an answer that may have one: chunked when Transfer-Encoding
     * ends in it, up to the close for another coding, else Content-Length, else up to the close;
     * {@link #BROKEN} for a length that cannot be told for sure (both fields, lengths that disagree,
     * or a coding in HTTP/1.0, which has none).
     */
    private static long framing(HeadFields fields, HttpVersion version) {
        boolean coded = fields.contains(HttpHeaderNames.TRANSFER_ENCODING);
        boolean sized = fields.contains(HttpHeaderNames.CONTENT_LENGTH);
        if (coded) {
            if (sized || version == HttpVersion.HTTP_1_0) {
                return BROKEN;
            }
            return BodyDecoder.endsInChunked(fields) ? CHUNKED : UNTIL_CLOSE;
        }
        if (!sized) {
            return UNTIL_CLOSE;
        }
        long length = BodyDecoder.contentLength(fields);
        return length < 0 ? BROKEN : length;
    }

    private void fireBody(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            done = true; // a broken framing: whatever follows cannot be told apart from the body
        }
        ctx.fireChannelRead(content);
    }

    private void fail(String why) {
        done = true;
        checked = 0;
        methods.clear();
        body.reset();
        inHead = true;
        ctx.fireExceptionCaught(new MalformedResponse(why));
    }

    /** Keeps what is left of {@code bytes} (part of a head or a line) for the next read, in a buffer of its size. */
    private void keepRest(ByteBuf bytes) {
        if (ctx.isRemoved()) {
            // A connection leaving HTTP (a WebSocket tunnel): bytes that followed the 101 are the tunnel's.
            if (bytes.isReadable()) {
                ctx.fireChannelRead(bytes);
            } else {
                bytes.release();
            }
            return;
        }
        if (!bytes.isReadable() || done) {
            bytes.release();
            return;
        }
        pending = PartialReads.keep(ctx.alloc(), bytes);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        body.reset();
        if (pending != null) {
            ByteBuf rest = pending;
            pending = null;
            ctx.fireChannelRead(rest);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            if (!inHead && body.endsAtClose()) {
                body.reset();
                inHead = true;
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT); // the close ends such a body well
            } else if (!inHead) {
                body.reset(); // cut short: the answer never ends well, and the exchange sees the close
                inHead = true;
            } else if (checked > 0) {
                fail("backend closed the connection in the middle of a response head");
            }
        }
        done = true;
        if (pending != null) {
            pending.release();
            pending = null;
        }
        ctx.fireChannelInactive();
    }

    /** A response that cannot be relayed; stackless, as a backend may send many. */
    static final class MalformedResponse extends CorruptedFrameException {
        private static final long serialVersionUID = 1L;

        MalformedResponse(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
