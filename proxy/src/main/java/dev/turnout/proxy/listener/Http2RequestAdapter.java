package dev.turnout.proxy.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.HttpConversionUtil;

/**
 * Hands HTTP/2 requests to {@link ProxyFrontendHandler} as HTTP/1.1 delivers them. The headers the
 * translation adds for itself ({@code x-http2-scheme}, {@code x-http2-stream-id}...) are dropped, so
 * they never reach a backend. A stream whose request ended with its headers arrives as one
 * {@link FullHttpRequest}; the frontend takes a head and then its body, so it is passed on as those
 * two parts (the body buffer moves, it is not copied).
 */
final class Http2RequestAdapter extends ChannelInboundHandlerAdapter {

    private static final HttpConversionUtil.ExtensionHeaderNames[] TRANSLATION_HEADERS =
            HttpConversionUtil.ExtensionHeaderNames.values();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            for (HttpConversionUtil.ExtensionHeaderNames added : TRANSLATION_HEADERS) {
                request.headers().remove(added.text());
            }
        }
        if (msg instanceof FullHttpRequest full) {
            ctx.fireChannelRead(new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers()));
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
