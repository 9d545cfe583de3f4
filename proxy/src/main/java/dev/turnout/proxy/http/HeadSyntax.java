package dev.turnout.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.ByteProcessor;

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
 * <p>One instance per connection; {@link #feed} may be called with a head in any number of pieces.
 */
public final class HeadSyntax {

    /** {@link #feed}: the head is not complete yet. */
    public static final int MORE = 0;
    /** {@link #feed}: the head ended well formed at this buffer's reader index + {@link #consumed()}. */
    public static final int COMPLETE = 1;
    public static final int BAD_REQUEST = 400;
    public static final int VERSION_NOT_SUPPORTED = 505;
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c : "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    /**
     * Headers for a decoder whose every head this class has checked first: field names are tokens
     * and values hold no control character, so the decoder's own per-header validation would only
     * do the same work twice. Trailers are not checked here and keep the decoder's validation.
     */
    public static final HttpHeadersFactory CHECKED_HEAD_HEADERS =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final boolean request;

    // HTTP/1.0, HTTP/1.1, and later minor versions, which are spoken to as HTTP/1.1 (RFC 9110 2.5).
    private static final long HTTP_1_DOT = pack("HTTP/1.");

    private int line;
    private int lineLength;
    private boolean afterCr;
    private int spaces;
    private byte previous;
    private long version;
    private int versionLength;
    private int consumed;
    private int verdict;
    private final ByteProcessor scanner = b -> (verdict = next(b)) == MORE;
    // Within a field line: still in its name (before the colon)?
    private boolean inName;
    // A response field name followed by whitespace: only more whitespace, then the colon, may come.
    private boolean nameEnded;

    private HeadSyntax(boolean request) {
        this.request = request;
    }

    public static HeadSyntax forRequests() {
        return new HeadSyntax(true);
    }

    public static HeadSyntax forResponses() {
        return new HeadSyntax(false);
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
    }

    /** Bytes of the last buffer fed that belonged to the head. */
    public int consumed() {
        return consumed;
    }

    /** Checks the next bytes of a head (without consuming them); a verdict other than MORE is final. */
    public int feed(ByteBuf bytes) {
        int start = bytes.readerIndex();
        int length = bytes.readableBytes();
        // forEachByte walks the buffer without a bounds check per byte; it stops where a verdict falls.
        int stoppedAt = bytes.forEachByte(start, length, scanner);
        if (stoppedAt < 0) {
            consumed = length;
            return MORE;
        }
        consumed = stoppedAt + 1 - start;
        return verdict;
    }

    private int next(byte b) {
        if (afterCr) {
            if (b != '\n') {
                return BAD_REQUEST; // a CR alone
            }
            afterCr = false;
            return endOfLine();
        }
        if (b == '\r') {
            afterCr = true;
            return MORE;
        }
        if (b == '\n') {
            return endOfLine(); // Netty's strict line parsing refuses a bare LF; it is not ours to repair
        }
        int u = b & 0xff;
        if (line == 0) {
            if (request) {
                return requestLine(b);
            }
            if ((u < 0x20 && u != '\t') || u == 0x7f) {
                return BAD_REQUEST;
            }
            lineLength++;
            return MORE;
        }
        if (lineLength == 0) {
            if (b == ' ' || b == '\t') {
                if (request) {
                    return BAD_REQUEST; // obs-fold (RFC 9112 5.2): refused, never unfolded
                }
                lineLength++; // a response's obs-fold may be unfolded by the decoder (RFC 9112 5.2)
                return MORE;
            }
            inName = true;
            nameEnded = false;
        }
        if (inName) {
            if (b == ':') {
                if (lineLength == 0) {
                    return BAD_REQUEST; // an empty name
                }
                inName = false;
            } else if (!request && lineLength > 0 && (b == ' ' || b == '\t')) {
                nameEnded = true; // RFC 9112 5.1: a proxy removes a response's whitespace before the colon
            } else if (nameEnded || u >= 128 || !TCHAR[u]) {
                return BAD_REQUEST; // a name is a token: no space inside it or before a request's colon
            }
        } else if ((u < 0x20 && u != '\t') || u == 0x7f) {
            return BAD_REQUEST; // values may hold HTAB and obs-text, no other control
        }
        lineLength++;
        return MORE;
    }

    private int requestLine(byte b) {
        if (b == ' ') {
            if (lineLength == 0 || previous == ' ' || ++spaces > 2) {
                return BAD_REQUEST;
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
