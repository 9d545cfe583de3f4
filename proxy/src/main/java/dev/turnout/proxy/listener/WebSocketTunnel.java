package dev.turnout.proxy.listener;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * A WebSocket connection after its upgrade: bytes pass both ways untouched between the client and
 * backend channels (both on one event loop), with back-pressure: a side that cannot write fast
 * enough stops reading from the other. When either side closes or idles out, both close and
 * {@code onEnd} runs once (the exchange's in-flight count, metrics and log end there).
 */
final class WebSocketTunnel {

    private final Channel client;
    private final Channel backend;
    private final Runnable onEnd;
    private boolean ended;

    WebSocketTunnel(Channel client, Channel backend, Runnable onEnd) {
        this.client = client;
        this.backend = backend;
        this.onEnd = onEnd;
        backend.config().setAutoClose(true); // a failed send ends the tunnel, as on the client side
    }

    /** Ends the tunnel from another thread (a drain's deadline). */
    void closeLater() {
        client.eventLoop().execute(this::end);
    }

    /** The handler for the client side (it relays to the backend), and for the backend side. */
    Relay towardBackend() {
        return new Relay(backend);
    }

    Relay towardClient() {
        return new Relay(client);
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        for (Channel ch : new Channel[] {client, backend}) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        onEnd.run();
    }

    /** Relays what one side reads to the other side. */
    final class Relay extends ChannelInboundHandlerAdapter {

        private final Channel peer;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (ended || !peer.isActive()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            peer.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
            if (!peer.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This side drained: the peer may read again.
            if (ctx.channel().isWritable()) {
                peer.config().setAutoRead(true);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                end();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end();
        }
    }
}
