package dev.turnout.proxy.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With {@code turnout.proxy-protocol}, sits right behind Netty's {@code HAProxyMessageDecoder} at the head of
 * every connection, before TLS: it keeps the source address of the PROXY header (v1 or v2) as the
 * connection's client address, then leaves the pipeline, and the decoder passes the bytes after the header
 * on. A header the decoder cannot read (or none at all) closes the connection. A {@code LOCAL} header (the
 * balancer's own health check) or one with an unknown protocol names no client: the peer's address stands.
 */
final class ProxyProtocolSource extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyProtocolSource.class);
    private static final AttributeKey<String> CLIENT = AttributeKey.valueOf("turnout.proxy-protocol.client");

    /** The client address a PROXY header gave this connection, or null. */
    static String clientOf(Channel connection) {
        return connection.hasAttr(CLIENT) ? connection.attr(CLIENT).get() : null;
    }

    /** Gives a connection that comes back from parking the client address its PROXY header gave it. */
    static void remember(Channel connection, String client) {
        connection.attr(CLIENT).set(client);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
                ctx.channel().attr(CLIENT).set(header.sourceAddress());
            }
        } finally {
            header.release();
        }
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof HAProxyProtocolException) {
            // The decoder closes the connection itself; this only keeps the exception from the handlers behind.
            LOG.debug("connection {} did not start with a valid PROXY protocol header: {}", ctx.channel(), cause.getMessage());
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
