package dev.turnout.proxy.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The response side of a backend connection: Netty's decoder, paired with the requests sent (as
 * {@code HttpClientCodec} pairs them, so that the answer to a HEAD has no body), and able to say
 * whether bytes are left over after an answer. A backend that sent more than its answer's framing
 * declared must not have its connection pooled: the surplus would be read as the next answer.
 */
final class UpstreamResponseDecoder extends HttpResponseDecoder {

    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

    UpstreamResponseDecoder(HttpDecoderConfig config) {
        super(config);
    }

    /** The encoder for requests on this connection, which tells this decoder each request's method. */
    HttpRequestEncoder requestEncoder() {
        return new HttpRequestEncoder() {
            @Override
            protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
                if (msg instanceof HttpRequest request) {
                    methods.add(request.method());
                }
                super.encode(ctx, msg, out);
            }
        };
    }

    /** Whether undecoded bytes follow the last answer. */
    boolean hasLeftovers() {
        return actualReadableBytes() > 0;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        int code = ((HttpResponse) msg).status().code();
        if (code >= 100 && code < 200) {
            return super.isContentAlwaysEmpty(msg); // an interim answer; the final one follows for the same request
        }
        HttpMethod method = methods.poll();
        return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
    }
}
