package dev.turnout.proxy.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;

/**
 * An HTTP/2 stream whose request ended with its headers arrives as one {@link FullHttpRequest};
 * {@link ProxyFrontendHandler} takes a head and then its body, as HTTP/1.1 delivers them, so the
 * full request is passed on as those two parts (the body buffer moves, it is not copied).
 */
final class Http2RequestSplitter extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest full) {
            ctx.fireChannelRead(new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers()));
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
