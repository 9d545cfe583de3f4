package dev.turnout.proxy.upstream;

import dev.turnout.proxy.http.ChunkedFraming;
import dev.turnout.proxy.http.HeadFields;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The request side of a backend HTTP/1.1 connection: each request head is written into one pooled
 * buffer (fields decoded from a client's head are copied byte for byte, see {@link HeadFields}), and
 * body parts pass through, framed as chunks when the request is chunked. Bytes written as they are (a
 * tunnel's) pass through untouched. Each request's method goes to {@link Http1ResponseDecoder}, which
 * pairs the answers with them (the answer to HEAD has no body).
 */
public final class Http1RequestEncoder extends ChannelOutboundHandlerAdapter {

    private static final byte[] CRLF = {'\r', '\n'};
    /** Room for a head built by code (a cache refresh) beyond its fields, and for trailers. */
    private static final int HEAD_ESTIMATE = 256;

    private final Http1ResponseDecoder answers;
    private boolean chunked;

    public Http1RequestEncoder(Http1ResponseDecoder answers) {
        this.answers = answers;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpRequest request) {
            ByteBuf head = head(ctx, request);
            answers.requested(request.method());
            if (request instanceof HttpContent whole) {
                ctx.write(head, ctx.voidPromise());
                writeContent(ctx, whole, promise);
                return;
            }
            ctx.write(head, promise);
            return;
        }
        if (msg instanceof HttpContent content) {
            writeContent(ctx, content, promise);
            return;
        }
        ctx.write(msg, promise);
    }

    private ByteBuf head(ChannelHandlerContext ctx, HttpRequest request) {
        HttpHeaders fields = request.headers();
        ByteBuf head = ctx.alloc().buffer(fields instanceof HeadFields own ? own.encodedSizeHint() : HEAD_ESTIMATE);
        ByteBufUtil.copy(request.method().asciiName(), head);
        head.writeByte(' ');
        String uri = request.uri();
        if (uri.isEmpty()) {
            head.writeByte('/'); // no empty request target in HTTP/1.1 (RFC 9112 3.2)
        } else {
            ByteBufUtil.writeUtf8(head, uri);
        }
        head.writeByte(' ');
        ByteBufUtil.writeAscii(head, request.protocolVersion().text());
        head.writeBytes(CRLF);
        HeadFields.write(fields, head);
        head.writeBytes(CRLF);
        chunked = HttpUtil.isTransferEncodingChunked(request);
        return head;
    }

    private void writeContent(ChannelHandlerContext ctx, HttpContent content, ChannelPromise promise) {
        boolean last = content instanceof LastHttpContent;
        if (chunked) {
            ChunkedFraming.write(ctx, content, last, promise);
        } else {
            // The part's buffer goes on in its place: one reference either way, released by the transport.
            ctx.write(content.content(), promise);
        }
        if (last) {
            chunked = false;
        }
    }
}
