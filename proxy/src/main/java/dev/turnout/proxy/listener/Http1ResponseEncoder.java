package dev.turnout.proxy.listener;

import dev.turnout.proxy.http.HeadFields;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * The answer side of an HTTP/1.1 client connection: each response head is written into one pooled
 * buffer (fields decoded from a backend's head are copied byte for byte, see {@link HeadFields}), and
 * body parts pass through, framed as chunks when the answer is chunked. Bytes written as they are
 * (a closing answer, a tunnel's) pass through untouched.
 *
 * <p>An answer to HEAD, an interim answer, 204 and 304 have no body (RFC 9112 6.3), whatever their
 * fields say: {@link Http1RequestDecoder} tells this encoder each request's method, in order.
 */
final class Http1ResponseEncoder extends ChannelOutboundHandlerAdapter {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final ByteBuf CRLF_BUF = Unpooled.unreleasableBuffer(Unpooled.directBuffer(2).writeBytes(CRLF));
    private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(5).writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
    /** Room for a head built here (a failure, a cache hit) beyond its fields. */
    private static final int HEAD_ESTIMATE = 256;

    private enum Body { NONE, AS_IS, CHUNKED, DROPPED }

    // The methods of the requests whose answers are due, in order: the next one, then any pipelined
    // behind it (that queue made when a client first pipelines).
    private HttpMethod nextMethod;
    private ArrayDeque<HttpMethod> laterMethods;
    private Body body = Body.NONE;

    /** A request was decoded: its answer comes in this order. */
    void requested(HttpMethod method) {
        if (nextMethod == null) {
            nextMethod = method;
            return;
        }
        if (laterMethods == null) {
            laterMethods = new ArrayDeque<>(2);
        }
        laterMethods.add(method);
    }

    private HttpMethod answered() {
        HttpMethod method = nextMethod;
        nextMethod = laterMethods == null ? null : laterMethods.poll();
        return method;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            writeHead(ctx, response, promise);
            return;
        }
        if (msg instanceof HttpContent content) {
            writeContent(ctx, content, promise);
            return;
        }
        ctx.write(msg, promise);
    }

    private void writeHead(ChannelHandlerContext ctx, HttpResponse response, ChannelPromise promise) {
        int code = response.status().code();
        boolean interim = code >= 100 && code < 200 && code != 101;
        HttpMethod method = interim ? nextMethod : answered();
        boolean noBody = interim || code == 101 || code == 204 || code == 304 || code == 205
                || HttpMethod.HEAD.equals(method);
        HttpHeaders fields = response.headers();
        if (interim || code == 204) {
            fields.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.TRANSFER_ENCODING);
        } else if (code == 205) {
            fields.remove(HttpHeaderNames.TRANSFER_ENCODING).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        ByteBuf head = ctx.alloc().buffer(fields instanceof HeadFields own ? own.encodedSizeHint() : HEAD_ESTIMATE);
        ByteBufUtil.writeAscii(head, response.protocolVersion().text());
        head.writeByte(' ');
        writeStatus(head, response.status());
        HeadFields.write(fields, head);
        head.writeBytes(CRLF);
        body = noBody ? Body.DROPPED : HttpUtil.isTransferEncodingChunked(response) ? Body.CHUNKED : Body.AS_IS;
        if (response instanceof FullHttpResponse whole) {
            ctx.write(head, ctx.voidPromise());
            writeContent(ctx, whole, promise);
            return;
        }
        ctx.write(head, promise);
    }

    private static void writeStatus(ByteBuf out, HttpResponseStatus status) {
        ByteBufUtil.copy(status.codeAsText(), out);
        out.writeByte(' ');
        ByteBufUtil.writeAscii(out, status.reasonPhrase());
        out.writeBytes(CRLF);
    }

    private void writeContent(ChannelHandlerContext ctx, HttpContent content, ChannelPromise promise) {
        boolean last = content instanceof LastHttpContent;
        ByteBuf data = content.content();
        switch (body) {
            case CHUNKED -> writeChunk(ctx, content, last, promise);
            case AS_IS -> ctx.write(data.retain(), promise);
            default -> ctx.write(Unpooled.EMPTY_BUFFER, promise); // no body may follow this head
        }
        ReferenceCountUtil.release(content);
        if (last) {
            body = Body.NONE;
        }
    }

    private static void writeChunk(ChannelHandlerContext ctx, HttpContent content, boolean last, ChannelPromise promise) {
        ByteBuf data = content.content();
        int length = data.readableBytes();
        HttpHeaders trailers = last ? ((LastHttpContent) content).trailingHeaders() : null;
        boolean endsHere = last && trailers.isEmpty();
        if (length > 0) {
            ByteBuf size = ctx.alloc().buffer(12);
            ByteBufUtil.writeAscii(size, Integer.toHexString(length));
            size.writeBytes(CRLF);
            ctx.write(size, ctx.voidPromise());
            ctx.write(data.retain(), ctx.voidPromise());
            ctx.write(CRLF_BUF.duplicate(), last ? ctx.voidPromise() : promise);
        }
        if (!last) {
            if (length == 0) {
                ctx.write(Unpooled.EMPTY_BUFFER, promise);
            }
            return;
        }
        if (endsHere) {
            ctx.write(LAST_CHUNK.duplicate(), promise);
            return;
        }
        ByteBuf end = ctx.alloc().buffer(HEAD_ESTIMATE);
        end.writeByte('0').writeBytes(CRLF);
        HeadFields.write(trailers, end);
        end.writeBytes(CRLF);
        ctx.write(end, promise);
    }
}
