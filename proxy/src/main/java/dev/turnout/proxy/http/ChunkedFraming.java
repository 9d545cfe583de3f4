package dev.turnout.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;

/**
 * Writes body parts as HTTP/1.1 chunks (RFC 9112 7.1), for both directions: the size line, the part's
 * own buffer passed on uncopied, its CRLF; the last chunk with any trailers.
 */
public final class ChunkedFraming {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final ByteBuf CRLF_BUF = Unpooled.unreleasableBuffer(Unpooled.directBuffer(2).writeBytes(CRLF));
    private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(5).writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
    /** Room for trailers, which are rare and short. */
    private static final int TRAILERS_ESTIMATE = 256;

    private ChunkedFraming() {
    }

    /**
     * Writes {@code content} as a chunk, and as the last chunk when {@code last}; takes over its buffer
     * (written or released). {@code promise} completes with the last write.
     */
    public static void write(ChannelHandlerContext ctx, HttpContent content, boolean last, ChannelPromise promise) {
        ByteBuf data = content.content();
        int length = data.readableBytes();
        if (length > 0) {
            ByteBuf size = ctx.alloc().buffer(12);
            ByteBufUtil.writeAscii(size, Integer.toHexString(length));
            size.writeBytes(CRLF);
            ctx.write(size, ctx.voidPromise());
            ctx.write(data, ctx.voidPromise());
            ctx.write(CRLF_BUF.duplicate(), last ? ctx.voidPromise() : promise);
        } else {
            data.release();
        }
        if (!last) {
            if (length == 0) {
                ctx.write(Unpooled.EMPTY_BUFFER, promise);
            }
            return;
        }
        HttpHeaders trailers = ((LastHttpContent) content).trailingHeaders();
        if (trailers.isEmpty()) {
            ctx.write(LAST_CHUNK.duplicate(), promise);
            return;
        }
        ByteBuf end = ctx.alloc().buffer(TRAILERS_ESTIMATE);
        end.writeByte('0').writeBytes(CRLF);
        HeadFields.write(trailers, end);
        end.writeBytes(CRLF);
        ctx.write(end, promise);
    }
}
