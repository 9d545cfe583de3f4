package dev.turnout.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.concurrent.FastThreadLocal;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The strict RFC 9112 syntax of a message head, checked on the raw bytes before Netty's decoder,
 * which would otherwise repair what the proxy must refuse: it unfolds obs-fold lines, cuts a field
 * name at a space, splits a request line on any run of spaces, and accepts any {@code HTTP/x.y}.
 *
 * <p>Checked in both directions: a field name is a non-empty token ended by a colon, every CR is
 * followed by LF, and no control character other than HTAB appears. A request may not have
 * whitespace before the colon or a line starting with whitespace (obs-fold); in a response RFC 9112
 * 5.1 and 5.2 let the proxy repair both, which the decoder does. For requests also: the request line is
 * {@code method SP target SP version} with single spaces and only visible ASCII, and the version
 * is {@code HTTP/1.} and one digit. A status line is left to the decoder.
 *
 * <p>The same pass records where each part of the head lies ({@link #spans()}, offsets from the head's
 * first byte), so that {@link HeadFields} can read the head in place: no second walk, no object per field.
 *
 * <p>A usual line that is all in the bytes fed (a field line {@code name:value CRLF}, a request line
 * {@code method SP target SP HTTP/1.x CRLF}, a status line) is checked and recorded in one pass; any other
 * line goes byte by byte through the states below, which give every verdict. Both record the same.
 *
 * <p>{@link #feed} may be called with a head in any number of pieces; a connection checks its heads with its
 * thread's shared instance and keeps one of its own only while a head waits for more bytes.
 */
public final class HeadSyntax {

    /** {@link #feed}: the head is not complete yet. */
    public static final int MORE = 0;
    /** {@link #feed}: the head ended well formed at this buffer's reader index + {@link #consumed()}. */
    public static final int COMPLETE = 1;
    public static final int BAD_REQUEST = 400;
    public static final int VERSION_NOT_SUPPORTED = 505;
    private static final boolean[] TCHAR = new boolean[128];
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    static {
        for (char c : "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    /** The copy a direct buffer's head is checked in, one per thread (an event loop's connections take turns). */
    private static final FastThreadLocal<byte[]> CHUNK = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[4096];
        }
    };

    /**
     * Headers for a decoder whose every head this class has checked first: field names are tokens
     * and values hold no control character, so the decoder's own per-header validation would only
     * do the same work twice. Trailers are not checked here and keep the decoder's validation.
     */
    public static final HttpHeadersFactory CHECKED_HEAD_HEADERS =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private static final FastThreadLocal<HeadSyntax> SHARED_FOR_REQUESTS = new FastThreadLocal<>() {
        @Override
        protected HeadSyntax initialValue() {
            return new HeadSyntax(true, true);
        }
    };
    private static final FastThreadLocal<HeadSyntax> SHARED_FOR_RESPONSES = new FastThreadLocal<>() {
        @Override
        protected HeadSyntax initialValue() {
            return new HeadSyntax(false, true);
        }
    };

    private final boolean request;
    // This thread's instance, which no connection keeps between reads.
    private boolean shared;
    /** Fields of a small request head; the span array doubles for a bigger one, and keeps that size. */
    private static final int FIELDS_EXPECTED = 8;
    /** Fields a proxy adds to a request (X-Forwarded-For, -Proto, -Host, X-Request-Id, and two to spare). */
    private static final int FIELDS_ADDED = 6;

    // HTTP/1.0, HTTP/1.1, and later minor versions, which are spoken to as HTTP/1.1 (RFC 9110 2.5).
    private static final long HTTP_1_DOT = pack("HTTP/1.");
    // The version of the usual request line, its minor digit aside.
    private static final byte[] HTTP_1_X = "HTTP/1.x".getBytes(StandardCharsets.US_ASCII);

    private int line;
    private int lineLength;
    private boolean afterCr;
    private boolean crBeforeLf;
    private int spaces;
    private byte previous;
    private long version;
    private int versionLength;
    private int consumed;
    // Offset of the byte being checked from the head's first byte (leading empty lines included).
    private int position;
    private int startLine = -1;
    private int startLineEnd;
    private int firstSpace = -1;
    private int secondSpace = -1;
    // Per field line: name start, name end, value start, value end (OWS trimmed); see HeadFields.
    // Where the fields of the head being checked lie; each head's are copied out at its end.
    private int[] spans;
    private int fields;
    private boolean folded;
    private boolean inFold;
    // After a field's colon, until its line ends: where its value lies so far (OWS trimmed), kept here
    // and stored in spans at the end of the line, so that the usual value byte costs two compares.
    private boolean inValue;
    private int valueStart = -1;
    private int valueEnd = -1;
    // Within a field line: still in its name (before the colon)?
    private boolean inName;
    // A response field name followed by whitespace: only more whitespace, then the colon, may come.
    private boolean nameEnded;

    private HeadSyntax(boolean request, boolean shared) {
        this.request = request;
        this.shared = shared;
    }

    public static HeadSyntax forRequests() {
        return new HeadSyntax(true, false);
    }

    public static HeadSyntax forResponses() {
        return new HeadSyntax(false, false);
    }

    /**
     * This thread's instance for request heads. Most heads arrive whole in one read and are checked at once,
     * so a connection holds no instance between its heads, only while one waits for its next bytes
     * ({@link #keepForNextRead()}).
     */
    public static HeadSyntax sharedForRequests() {
        return SHARED_FOR_REQUESTS.get();
    }

    /** {@link #sharedForRequests()} for response heads. */
    public static HeadSyntax sharedForResponses() {
        return SHARED_FOR_RESPONSES.get();
    }

    /**
     * The instance to keep while the head checked so far waits for its next bytes: this one, handed over by
     * its thread if it was the thread's shared one (the thread makes itself another).
     */
    public HeadSyntax keepForNextRead() {
        if (shared) {
            shared = false;
            (request ? SHARED_FOR_REQUESTS : SHARED_FOR_RESPONSES).set(new HeadSyntax(request, true));
        }
        return this;
    }

    /** Starts over for the next message's head. */
    public void reset() {
        inName = false;
        line = 0;
        lineLength = 0;
        afterCr = false;
        spaces = 0;
        previous = 0;
        version = 0;
        versionLength = 0;
        position = 0;
        startLine = -1;
        firstSpace = -1;
        secondSpace = -1;
        fields = 0;
        folded = false;
        inFold = false;
        inValue = false;
    }

    /** Bytes of the head checked so far (since {@link #reset()}). */
    public int position() {
        return position;
    }

    /** Whether the start line is still being read. */
    public boolean inStartLine() {
        return line == 0;
    }

    /** Where the start line begins (after any empty lines before a request line). */
    public int startLine() {
        return startLine;
    }

    /** Where the start line ends (its CR or LF). */
    public int startLineEnd() {
        return startLineEnd;
    }

    /** A request line's first space (after the method). */
    public int firstSpace() {
        return firstSpace;
    }

    /** A request line's second space (after the target). */
    public int secondSpace() {
        return secondSpace;
    }

    /** The number of field lines of a complete head (a response's obs-fold continues its field). */
    public int fields() {
        return fields;
    }

    /** Whether some response field was folded (obs-fold), so that its value must be unfolded. */
    public boolean folded() {
        return folded;
    }

    /**
     * A copy of the complete head's field spans ({@link HeadFields#SPAN} ints per field), with room for
     * the fields a proxy adds (forwarding headers, a request id), for the decoded message to own.
     */
    public int[] takeSpans() {
        int[] copy = new int[(fields + FIELDS_ADDED) * HeadFields.SPAN];
        if (fields > 0) {
            System.arraycopy(spans, 0, copy, 0, fields * HeadFields.SPAN);
        }
        return copy;
    }

    /** Bytes of the last buffer fed that belonged to the head. */
    public int consumed() {
        return consumed;
    }

    /** Checks the next bytes of a head (without consuming them); a verdict other than MORE is final. */
    public int feed(ByteBuf bytes) {
        return feed(bytes, bytes.readerIndex());
    }

    /**
     * Checks the bytes of {@code bytes} from {@code start} on, the head's next ones; {@link #consumed()}
     * then counts from {@code start}. A direct buffer's bytes are checked in a copy, a chunk at a time: a
     * plain loop over an array costs a fraction of a call per byte through the buffer's accessors.
     */
    public int feed(ByteBuf bytes, int start) {
        int end = bytes.writerIndex();
        if (bytes.hasArray()) {
            return feed(bytes.array(), bytes.arrayOffset() + start, bytes.arrayOffset() + end);
        }
        byte[] chunk = CHUNK.get();
        for (int at = start; at < end; ) {
            int length = Math.min(end - at, chunk.length);
            bytes.getBytes(at, chunk, 0, length);
            int verdict = feed(chunk, 0, length);
            if (verdict != MORE) {
                consumed += at - start;
                return verdict;
            }
            at += length;
        }
        consumed = end - start;
        return MORE;
    }

    /** Checks {@code bytes[from, to)}, the head's next bytes; {@link #consumed()} then counts from {@code from}. */
    public int feed(byte[] bytes, int from, int to) {
        int at = from;
        while (at < to) {
            if (lineLength == 0 && !afterCr) {
                int lineEnd = line > 0 ? wholeFieldLine(bytes, at, to)
                        : request ? wholeRequestLine(bytes, at, to) : wholeStatusLine(bytes, at, to);
                if (lineEnd > at) {
                    at = lineEnd;
                    continue;
                }
            }
            // Most bytes of a head are runs inside a field name or value, where a byte changes nothing but
            // the counts and the value's ends: such a run is found by a plain scan and counted at once.
            int stop = afterCr ? at : inValue ? valueRun(bytes, at, to)
                    : inName && !nameEnded && lineLength > 0 ? nameRun(bytes, at, to) : at;
            if (stop > at) {
                position += stop - at;
                lineLength += stop - at;
                at = stop;
                continue;
            }
            int verdict = next(bytes[at]);
            position++;
            at++;
            if (verdict != MORE) {
                consumed = at - from;
                return verdict;
            }
        }
        consumed = to - from;
        return MORE;
    }

    /**
     * Where a run of bytes that go on a field value as they are ends: visible ASCII, obs-text, and the spaces
     * and tabs between them (whitespace at either end is not the value's, RFC 9110 5.5). Moves the value's
     * ends over the run.
     */
    private int valueRun(byte[] bytes, int from, int to) {
        int at = valueBytesEnd(bytes, from, to);
        int first = afterBlanks(bytes, from, at);
        if (first < at) {
            if (valueStart < 0) {
                valueStart = position + first - from;
            }
            valueEnd = position + beforeBlanks(bytes, first, at) - from;
        }
        return at;
    }

    /** The first byte of {@code bytes[from, to)} that is not a space or tab, or {@code to}. */
    private static int afterBlanks(byte[] bytes, int from, int to) {
        while (from < to && (bytes[from] == ' ' || bytes[from] == '\t')) {
            from++;
        }
        return from;
    }

    /** Where {@code bytes[from, to)} ends once the spaces and tabs at its end are taken off. */
    private static int beforeBlanks(byte[] bytes, int from, int to) {
        while (to > from && (bytes[to - 1] == ' ' || bytes[to - 1] == '\t')) {
            to--;
        }
        return to;
    }

    /** Where the bytes a value may hold as they are end: at the first control but HTAB, or DEL. */
    private static int valueBytesEnd(byte[] bytes, int from, int to) {
        int at = from;
        // Eight bytes at a time while none is a control or DEL: the usual value (a date, a user agent, a cookie).
        while (at + Long.BYTES <= to) {
            long word = (long) LONGS.get(bytes, at);
            long control = (word - 0x2020202020202020L) & ~word; // high bit set under a byte below 0x20
            long del = word ^ 0x7f7f7f7f7f7f7f7fL;
            long isDel = (del - 0x0101010101010101L) & ~del; // under a 0x7f
            if (((control | isDel) & 0x8080808080808080L) != 0) {
                break;
            }
            at += Long.BYTES;
        }
        for (; at < to; at++) {
            int u = bytes[at] & 0xff;
            if ((u < 0x20 && u != '\t') || u == 0x7f) {
                break;
            }
        }
        return at;
    }

    /**
     * The usual field line, {@code name:value CRLF} with all of it in {@code bytes[at, to)}, checked and
     * recorded in one pass; returns where it ends, or {@code at} for a line that takes the byte-at-a-time
     * path: the empty line that ends the head, a line cut by the end of the read, whitespace before the
     * colon, a fold, a bare LF, and anything refused. Both paths record the same spans.
     */
    private int wholeFieldLine(byte[] bytes, int at, int to) {
        int colon = nameRun(bytes, at, to);
        if (colon == at || colon >= to || bytes[colon] != ':') {
            return at;
        }
        int cr = valueBytesEnd(bytes, colon + 1, to);
        if (cr + 1 >= to || bytes[cr] != '\r' || bytes[cr + 1] != '\n') {
            return at;
        }
        int first = afterBlanks(bytes, colon + 1, cr);
        int last = beforeBlanks(bytes, first, cr);
        startField();
        int span = fields * HeadFields.SPAN;
        int offset = position - at; // bytes[i] is the head's byte at i + offset
        spans[span + 1] = colon + offset;
        // An empty value lies at the line's LF, where the byte-at-a-time path puts it.
        spans[span + 2] = first < last ? first + offset : cr + 1 + offset;
        spans[span + 3] = first < last ? last + offset : cr + 1 + offset;
        fields++;
        line++;
        inFold = false;
        crBeforeLf = true;
        position += cr + 2 - at;
        return cr + 2;
    }

    /**
     * The usual request line, {@code method SP target SP HTTP/1.x CRLF} with all of it in {@code bytes[at, to)},
     * checked and recorded in one pass; returns where it ends, or {@code at} for any other (an empty line
     * before it, a line cut by the end of the read, another version, and anything refused), which takes
     * the byte-at-a-time path and gets its verdict there.
     */
    private int wholeRequestLine(byte[] bytes, int at, int to) {
        int afterMethod = visibleRun(bytes, at, to);
        if (afterMethod == at || afterMethod >= to || bytes[afterMethod] != ' ') {
            return at;
        }
        int afterTarget = visibleRun(bytes, afterMethod + 1, to);
        if (afterTarget == afterMethod + 1 || afterTarget >= to || bytes[afterTarget] != ' ') {
            return at;
        }
        int cr = afterTarget + 1 + HTTP_1_X.length;
        if (cr + 1 >= to || bytes[cr] != '\r' || bytes[cr + 1] != '\n'
                || !Arrays.equals(bytes, afterTarget + 1, cr - 1, HTTP_1_X, 0, HTTP_1_X.length - 1)
                || bytes[cr - 1] < '0' || bytes[cr - 1] > '9') {
            return at;
        }
        int offset = position - at; // bytes[i] is the head's byte at i + offset
        startLine = position;
        firstSpace = afterMethod + offset;
        secondSpace = afterTarget + offset;
        startLineEnd = cr + offset;
        return startLineDone(at, cr);
    }

    /**
     * A status line with all of it in {@code bytes[at, to)} and no control but HTAB, nor DEL: recorded at once
     * (the decoder reads its version, code and reason). Returns where it ends, or {@code at} for any other line.
     */
    private int wholeStatusLine(byte[] bytes, int at, int to) {
        int cr = valueBytesEnd(bytes, at, to);
        if (cr == at || cr + 1 >= to || bytes[cr] != '\r' || bytes[cr + 1] != '\n') {
            return at;
        }
        startLine = position;
        startLineEnd = position + cr - at;
        return startLineDone(at, cr);
    }

    private int startLineDone(int at, int cr) {
        line = 1;
        crBeforeLf = true;
        position += cr + 2 - at;
        return cr + 2;
    }

    /** Where a run of visible ASCII (a request line's method, target or version) ends. */
    private static int visibleRun(byte[] bytes, int at, int to) {
        while (at < to && bytes[at] >= 0x21 && bytes[at] <= 0x7e) {
            at++;
        }
        return at;
    }

    /** Where a run of token characters (a field name's) ends. */
    private static int nameRun(byte[] bytes, int at, int to) {
        while (at < to) {
            byte b = bytes[at];
            if (b < 0 || !TCHAR[b]) {
                break;
            }
            at++;
        }
        return at;
    }

    private int next(byte b) {
        if (inValue) {
            int u = b & 0xff;
            if (u > 0x20 && u != 0x7f) { // visible ASCII or obs-text: the usual byte of a value
                if (valueStart < 0) {
                    valueStart = position;
                }
                valueEnd = position + 1;
                lineLength++;
                return MORE;
            }
        }
        if (afterCr) {
            if (b != '\n') {
                return BAD_REQUEST; // a CR alone
            }
            afterCr = false;
            crBeforeLf = true;
            return endOfLine();
        }
        if (b == '\r') {
            afterCr = true;
            inValue = false; // only LF may follow, which the slow path checks
            return MORE;
        }
        if (b == '\n') {
            if (request) {
                return BAD_REQUEST; // a bare LF (RFC 9112 2.2 lets a server refuse it; a proxy should)
            }
            crBeforeLf = false;
            return endOfLine(); // a backend's bare LF ends its line, as RFC 9112 2.2 allows
        }
        int u = b & 0xff;
        if (line == 0) {
            if (request) {
                return requestLine(b);
            }
            if ((u < 0x20 && u != '\t') || u == 0x7f) {
                return BAD_REQUEST;
            }
            if (lineLength == 0) {
                startLine = position;
            }
            lineLength++;
            return MORE;
        }
        if (lineLength == 0) {
            if (b == ' ' || b == '\t') {
                if (request || fields == 0) {
                    // obs-fold (RFC 9112 5.2): refused in a request; in a response, a line starting with
                    // whitespace before the first field continues none and is refused too (RFC 9112 2.2)
                    return BAD_REQUEST;
                }
                lineLength++; // a response's obs-fold is unfolded (RFC 9112 5.2): its field's value goes on
                inFold = true;
                folded = true;
                inValue = true;
                valueStart = spans[(fields - 1) * HeadFields.SPAN + 2];
                valueEnd = spans[(fields - 1) * HeadFields.SPAN + 3];
                return MORE;
            }
            inName = true;
            nameEnded = false;
            inFold = false;
            startField();
        }
        if (inName) {
            if (b == ':') {
                if (lineLength == 0) {
                    return BAD_REQUEST; // an empty name
                }
                inName = false;
                inValue = true;
                if (!nameEnded) {
                    spans[fields * HeadFields.SPAN + 1] = position;
                }
            } else if (!request && lineLength > 0 && (b == ' ' || b == '\t')) {
                if (!nameEnded) {
                    spans[fields * HeadFields.SPAN + 1] = position;
                }
                nameEnded = true; // RFC 9112 5.1: a proxy removes a response's whitespace before the colon
            } else if (nameEnded || u >= 128 || !TCHAR[u]) {
                return BAD_REQUEST; // a name is a token: no space inside it or before a request's colon
            }
        } else if ((u < 0x20 && u != '\t') || u == 0x7f) {
            return BAD_REQUEST; // values may hold HTAB and obs-text, no other control
        } else if (b != ' ' && b != '\t') {
            if (valueStart < 0) {
                valueStart = position;
            }
            valueEnd = position + 1;
        }
        lineLength++;
        return MORE;
    }

    private void startField() {
        int at = fields * HeadFields.SPAN;
        if (spans == null) {
            spans = new int[HeadFields.SPAN * FIELDS_EXPECTED];
        } else if (at + HeadFields.SPAN > spans.length) {
            spans = Arrays.copyOf(spans, spans.length * 2);
        }
        spans[at] = position;
        spans[at + 1] = -1;
        valueStart = -1;
        valueEnd = -1;
    }

    private int requestLine(byte b) {
        if (lineLength == 0) {
            startLine = position;
        }
        if (b == ' ') {
            if (lineLength == 0 || previous == ' ' || ++spaces > 2) {
                return BAD_REQUEST;
            }
            if (spaces == 1) {
                firstSpace = position;
            } else {
                secondSpace = position;
            }
        } else if (b < 0x21 || b > 0x7e) {
            return BAD_REQUEST; // controls, DEL and non-ASCII bytes have no place in a request line
        } else if (spaces == 2 && ++versionLength <= 8) {
            version = version << 8 | (b & 0xff);
        }
        previous = b;
        lineLength++;
        return MORE;
    }

    private int endOfLine() {
        if (line == 0) {
            if (lineLength == 0) {
                return MORE; // empty lines before a request line are ignored (RFC 9112 2.2)
            }
            startLineEnd = crBeforeLf ? position - 1 : position;
            if (!request) {
                line = 1;
                lineLength = 0;
                return MORE;
            }
            if (spaces != 2 || previous == ' ' || versionLength == 0) {
                return BAD_REQUEST;
            }
            if (versionLength != 8 || (version >>> 8) != HTTP_1_DOT || !Character.isDigit((int) (version & 0xff))) {
                return versionLength == 8 && (version >>> 24) == pack("HTTP/") && Character.isDigit((int) (version >>> 16 & 0xff))
                        ? VERSION_NOT_SUPPORTED : BAD_REQUEST;
            }
            line = 1;
            lineLength = 0;
            return MORE;
        }
        if (lineLength == 0) {
            return COMPLETE;
        }
        if (inName) {
            return BAD_REQUEST; // a field line without a colon
        }
        inValue = false;
        if (inFold) {
            int at = (fields - 1) * HeadFields.SPAN;
            spans[at + 2] = valueStart;
            spans[at + 3] = valueEnd;
        } else {
            int at = fields * HeadFields.SPAN;
            if (valueStart < 0) {
                valueStart = position; // an empty value
                valueEnd = position;
            }
            spans[at + 2] = valueStart;
            spans[at + 3] = valueEnd;
            fields++;
        }
        line++;
        lineLength = 0;
        return MORE;
    }

    private static long pack(String ascii) {
        long packed = 0;
        for (int i = 0; i < ascii.length(); i++) {
            packed = packed << 8 | ascii.charAt(i);
        }
        return packed;
    }
}
