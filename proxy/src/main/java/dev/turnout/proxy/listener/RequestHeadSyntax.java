package dev.turnout.proxy.listener;

import io.netty.buffer.ByteBuf;

/**
 * The strict RFC 9112 syntax of a request head, checked on the raw bytes before Netty's decoder,
 * which would otherwise repair what the proxy must refuse: it unfolds obs-fold lines, splits a
 * request line on any run of spaces, and accepts any {@code HTTP/x.y}. Checked here: the request
 * line is {@code method SP target SP version} with single spaces and only visible ASCII, the version
 * is exactly {@code HTTP/1.1} or {@code HTTP/1.0}, no header line starts with whitespace, every CR
 * is followed by LF, and no control character other than HTAB appears. The rest (field syntax,
 * framing headers) is left to the decoder, which refuses it.
 *
 * <p>One instance per connection; {@link #feed} may be called with a head in any number of pieces.
 */
final class RequestHeadSyntax {

    /** {@link #feed}: the head is not complete yet. */
    static final int MORE = 0;
    /** {@link #feed}: the head ended well formed at this buffer's reader index + {@link #consumed()}. */
    static final int COMPLETE = 1;
    static final int BAD_REQUEST = 400;
    static final int VERSION_NOT_SUPPORTED = 505;

    private static final long HTTP_1_1 = pack("HTTP/1.1");
    private static final long HTTP_1_0 = pack("HTTP/1.0");

    private int line;
    private int lineLength;
    private boolean afterCr;
    private int spaces;
    private byte previous;
    private long version;
    private int versionLength;
    private int consumed;

    /** Starts over for the next request's head. */
    void reset() {
        line = 0;
        lineLength = 0;
        afterCr = false;
        spaces = 0;
        previous = 0;
        version = 0;
        versionLength = 0;
    }

    /** Bytes of the last buffer fed that belonged to the head. */
    int consumed() {
        return consumed;
    }

    /** Checks the next bytes of a head (without consuming them); a verdict other than MORE is final. */
    int feed(ByteBuf bytes) {
        int start = bytes.readerIndex();
        int end = bytes.writerIndex();
        for (int i = start; i < end; i++) {
            int verdict = next(bytes.getByte(i));
            if (verdict != MORE) {
                consumed = i + 1 - start;
                return verdict;
            }
        }
        consumed = end - start;
        return MORE;
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
        if (line == 0) {
            return requestLine(b);
        }
        if (lineLength == 0 && (b == ' ' || b == '\t')) {
            return BAD_REQUEST; // obs-fold (RFC 9112 5.2): refused, never unfolded
        }
        if ((b < 0x20 && b != '\t') || b == 0x7f) {
            return BAD_REQUEST;
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
            if (spaces != 2 || previous == ' ' || versionLength == 0) {
                return BAD_REQUEST;
            }
            if (versionLength != 8 || (version != HTTP_1_1 && version != HTTP_1_0)) {
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
