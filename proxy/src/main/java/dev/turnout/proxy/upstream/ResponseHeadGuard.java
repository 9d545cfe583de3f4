package dev.turnout.proxy.upstream;

import dev.turnout.proxy.http.HeadSyntax;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.util.ReferenceCountUtil;

/**
 * Checks each response head's raw bytes ({@link HeadSyntax}) before Netty's decoder, which would
 * repair a malformed field line (cut a name at a space, unfold obs-fold) and let it reach the
 * client. A broken head fails the connection as an exception: the exchange gets 502 and the
 * connection is dropped. {@link UpstreamHandler} says when a response ended, so that the next
 * head (after a 1xx, or on the next exchange) is checked too.
 */
final class ResponseHeadGuard extends ChannelInboundHandlerAdapter {

    private final HeadSyntax syntax = HeadSyntax.forResponses();
    private boolean scanning = true;
    private boolean broken;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (broken) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        while (scanning && bytes.isReadable()) {
            int verdict = syntax.feed(bytes);
            if (verdict == HeadSyntax.MORE) {
                break;
            }
            if (verdict != HeadSyntax.COMPLETE) {
                bytes.release();
                broken = true;
                ctx.fireExceptionCaught(new CorruptedFrameException("backend sent a malformed response head"));
                return;
            }
            scanning = false;
            if (syntax.consumed() == bytes.readableBytes()) {
                break;
            }
            // The head goes to the decoder first: an interim answer's end re-arms the check for the next head.
            ctx.fireChannelRead(bytes.readRetainedSlice(syntax.consumed()));
            if (broken) {
                bytes.release();
                return;
            }
        }
        ctx.fireChannelRead(bytes);
    }

    /** The response ended: the next bytes start the next head. */
    void responseEnded() {
        syntax.reset();
        scanning = true;
    }
}
