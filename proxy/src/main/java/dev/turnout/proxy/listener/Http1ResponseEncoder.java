package dev.turnout.proxy.listener;

import dev.turnout.proxy.http.ChunkedFraming;
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
public final class Http1ResponseEncoder extends ChannelOutboundHandlerAdapter {

    private static final byte[] CRLF = {'\r', '\n'};
    /** Room for a head built here (a failure, a cache hit) beyond its fields. */
    private static final int HEAD_ESTIMATE = 256;

    private enum Body { NONE, AS_IS, CHUNKED, DROPPED }

    // The methods of the requests whose answers are due, in order: the next one, then any pipelined
    // behind it (that queue made when a client first pipelines).
    private HttpMethod nextMethod;
    private ArrayDeque<HttpMethod> laterMethods;
    private Body body = Body.NONE;

    /** A request was decoded: its answer comes in this order. */
    public void requested(HttpMethod method) {
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
        // The part's buffer goes on in its place (or is released): one reference either way.
        switch (body) {
            case CHUNKED -> ChunkedFraming.write(ctx, content, last, promise);
            case AS_IS -> ctx.write(content.content(), promise);
            default -> {
                content.release();
                ctx.write(Unpooled.EMPTY_BUFFER, promise); // no body may follow this head
            }
        }
        if (last) {
            body = Body.NONE;
        }
    }
}
