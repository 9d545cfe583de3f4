package dev.turnout.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The body of one HTTP/1.1 message, by its framing (RFC 9112 6): a length, chunked, or up to the
 * connection's close. Content passes through as retained slices of the read buffer, never copied;
 * only chunk-size lines and trailers are read here. A broken framing ends the body with a
 * {@link LastHttpContent} whose decoder result failed, so that the far side never sees it end well.
 *
 * <p>One per connection, reused for each message, on its event loop.
 */
public final class BodyDecoder {

    /** The longest chunk-size line or trailer line read; longer is a broken framing. */
    private static final int MAX_LINE = 8192;
    /** Trailer fields in all. */
    private static final int MAX_TRAILERS = 8192;

    private enum State { NONE, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE }

    private final boolean strict;
    private State state = State.NONE;
    private long remaining;
    private HttpHeaders trailers;
    private int trailerBytes;

    /**
     * @param strict requests: a chunk line must end in CRLF; responses from a backend may end it in a bare
     *               LF (RFC 9112 2.2)
     */
    public BodyDecoder(boolean strict) {
        this.strict = strict;
    }

    /** A body of {@code length} bytes follows (0: none; the caller sends the empty end itself). */
    public void fixed(long length) {
        state = State.FIXED;
        remaining = length;
    }

    public void chunked() {
        state = State.CHUNK_SIZE;
        trailers = null;
        trailerBytes = 0;
    }

    /** A response whose body ends when the backend closes the connection. */
    public void untilClose() {
        state = State.UNTIL_CLOSE;
    }

    /** Whether a body is being read. */
    public boolean active() {
        return state != State.NONE;
    }

    /** Whether the body ends at the connection's close, which then ends it well. */
    public boolean endsAtClose() {
        return state == State.UNTIL_CLOSE;
    }

    /**
     * Decodes what {@code in} holds of the body, passing each part to {@code out}; stops at the body's
     * end (a {@link LastHttpContent} was passed) or when {@code in} holds no whole line that is due. The
     * bytes left in {@code in} are the next message's, or a partial line to read again with more.
     *
     * @return true when the body ended (well, or broken: see the decoder result of the last part)
     */
    public boolean decode(ByteBuf in, Consumer<HttpContent> out) {
        while (true) {
            switch (state) {
                case NONE:
                    return true;
                case UNTIL_CLOSE:
                    if (in.isReadable()) {
                        out.accept(new DefaultHttpContent(in.readRetainedSlice(in.readableBytes())));
                    }
                    return false;
                case FIXED: {
                    if (!in.isReadable()) {
                        return false;
                    }
                    int n = (int) Math.min(remaining, in.readableBytes());
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.NONE;
                        // No trailers after a length: no headers object is made for them.
                        out.accept(new DefaultLastHttpContent(in.readRetainedSlice(n), EmptyHttpHeaders.INSTANCE));
                        return true;
                    }
                    out.accept(new DefaultHttpContent(in.readRetainedSlice(n)));
                    return false;
                }
                case CHUNK_SIZE: {
                    int end = lineEnd(in);
                    if (end == NO_LINE) {
                        return false;
                    }
                    long size = end < 0 ? -1 : chunkSize(in, in.readerIndex(), end);
                    if (size < 0) {
                        return broken(out, "malformed chunk-size line");
                    }
                    in.readerIndex(end + 1);
                    if (size == 0) {
                        state = State.TRAILERS;
                    } else {
                        state = State.CHUNK_DATA;
                        remaining = size;
                    }
                    break;
                }
                case CHUNK_DATA: {
                    if (!in.isReadable()) {
                        return false;
                    }
                    int n = (int) Math.min(remaining, in.readableBytes());
                    remaining -= n;
                    out.accept(new DefaultHttpContent(in.readRetainedSlice(n)));
                    if (remaining == 0) {
                        state = State.CHUNK_END;
                    }
                    break;
                }
                case CHUNK_END: {
                    if (!in.isReadable()) {
                        return false;
                    }
                    byte first = in.getByte(in.readerIndex());
                    if (first == '\n' && !strict) {
                        in.skipBytes(1);
                    } else if (first != '\r') {
                        return broken(out, "chunk data longer than its size");
                    } else if (in.readableBytes() < 2) {
                        return false;
                    } else if (in.getByte(in.readerIndex() + 1) != '\n') {
                        return broken(out, "chunk data not ended by CRLF");
                    } else {
                        in.skipBytes(2);
                    }
                    state = State.CHUNK_SIZE;
                    break;
                }
                case TRAILERS: {
                    int end = lineEnd(in);
                    if (end == NO_LINE) {
                        return false;
                    }
                    int start = in.readerIndex();
                    int length = end < 0 ? -1 : end - start - (end > start && in.getByte(end - 1) == '\r' ? 1 : 0);
                    if (length < 0 || (trailerBytes += length) > MAX_TRAILERS) {
                        return broken(out, "malformed trailer section");
                    }
                    if (length == 0) {
                        in.readerIndex(end + 1);
                        state = State.NONE;
                        out.accept(trailers == null ? LastHttpContent.EMPTY_LAST_CONTENT
                                : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers));
                        return true;
                    }
                    if (!trailer(in.toString(start, length, StandardCharsets.ISO_8859_1))) {
                        return broken(out, "malformed trailer field");
                    }
                    in.readerIndex(end + 1);
                    break;
                }
                default:
                    throw new IllegalStateException(state.name());
            }
        }
    }

    private static final int NO_LINE = Integer.MIN_VALUE;

    /**
     * The index of the LF that ends the next line; {@link #NO_LINE} when it has not all arrived yet;
     * -1 when the line is broken (too long, or a bare LF where CRLF is due).
     */
    private int lineEnd(ByteBuf in) {
        int start = in.readerIndex();
        int lf = in.indexOf(start, Math.min(in.writerIndex(), start + MAX_LINE), (byte) '\n');
        if (lf < 0) {
            return in.readableBytes() >= MAX_LINE ? -1 : NO_LINE;
        }
        if (strict && (lf == start || in.getByte(lf - 1) != '\r')) {
            return -1;
        }
        return lf;
    }

    /** A chunk-size line (RFC 9112 7.1): hex digits, then extensions without control characters. */
    private long chunkSize(ByteBuf in, int start, int lf) {
        int end = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        long size = 0;
        int digits = 0;
        int i = start;
        for (; i < end; i++) {
            int d = Character.digit(in.getByte(i), 16);
            if (d < 0) {
                break;
            }
            if (size > 0 || d > 0) {
                if (++digits > 15) {
                    return -1; // past 2^60: no body is that long, and it would overflow soon after
                }
            }
            size = size << 4 | d;
        }
        if (i == start) {
            return -1;
        }
        for (; i < end; i++) {
            byte b = in.getByte(i);
            if (b == ';') {
                break;
            }
            if (b != ' ' && b != '\t') {
                return -1; // only whitespace may come between the size and an extension
            }
        }
        for (; i < end; i++) {
            int u = in.getByte(i) & 0xff;
            if ((u < 0x20 && u != '\t') || u == 0x7f || u == '\r') {
                return -1;
            }
        }
        return size;
    }

    private boolean trailer(String line) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || (i < colon && (c == ' ' || c == '\t'))) {
                return false;
            }
        }
        if (trailers == null) {
            trailers = DefaultHttpHeadersFactory.trailersFactory().newHeaders();
        }
        try {
            trailers.add(line.substring(0, colon), line.substring(colon + 1).trim());
        } catch (IllegalArgumentException e) {
            return false; // not a token
        }
        return true;
    }

    private boolean broken(Consumer<HttpContent> out, String why) {
        state = State.NONE;
        trailers = null;
        DefaultLastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        failed.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(why)));
        out.accept(failed);
        return true;
    }

    /** Whether the last transfer coding of {@code fields} (all Transfer-Encoding lines) is chunked. */
    public static boolean endsInChunked(HttpHeaders fields) {
        List<String> codings = fields.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        String last = codings.get(codings.size() - 1);
        return last.substring(last.lastIndexOf(',') + 1).trim().equalsIgnoreCase("chunked");
    }

    /**
     * The message's Content-Length, one length possibly repeated (RFC 9110 8.6 lets "5, 5" stand for 5;
     * the field is then set to the one value, so the far side gets one length); -1 when the values
     * disagree or one is not a length. Call it when the field is present.
     */
    public static long contentLength(HttpHeaders fields) {
        if (fields instanceof HeadFields head) {
            long length = head.onlyDecimal(HttpHeaderNames.CONTENT_LENGTH);
            if (length >= 0) {
                return length; // the usual case, read in place; anything else takes the general way below
            }
        }
        List<String> lines = fields.getAll(HttpHeaderNames.CONTENT_LENGTH);
        boolean single = lines.size() == 1 && lines.get(0).indexOf(',') < 0;
        long length = -1;
        for (String value : single ? lines : List.of(String.join(",", lines).split(",", -1))) {
            String digits = value.trim();
            if (digits.isEmpty() || digits.length() > 18) {
                return -1;
            }
            long parsed = 0;
            for (int i = 0; i < digits.length(); i++) {
                char c = digits.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                parsed = parsed * 10 + (c - '0');
            }
            if (length >= 0 && parsed != length) {
                return -1;
            }
            length = parsed;
        }
        if (!single) {
            fields.set(HttpHeaderNames.CONTENT_LENGTH, Long.toString(length));
        }
        return length;
    }

    /** Forgets the body in progress (the connection closes). */
    public void reset() {
        state = State.NONE;
        trailers = null;
    }
}
