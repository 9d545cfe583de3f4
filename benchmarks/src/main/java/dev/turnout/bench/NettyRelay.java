package dev.turnout.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;

/**
 * The transport's floor for {@code compare.sh}: a TCP relay on Netty's epoll transport with one event
 * loop, each client connection paired with its own upstream connection on the same loop, bytes passed
 * through as read (no HTTP parsed, no copy) and flushed once per read batch. It is what Turnout's data
 * plane costs before it does any HTTP work, so the gap between its CPU per request and Turnout's is the
 * HTTP layer's, and the gap between it and nginx's is the transport's (the JVM, Netty, and the kernel
 * calls they make).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.turnout.bench.NettyRelay UPSTREAM_PORT</pre>
 *
 * <p>It listens on a free loopback port, printed as {@code listening on http://127.0.0.1:PORT}, and
 * relays to {@code 127.0.0.1:UPSTREAM_PORT} until killed. Keep-alive works because the pairing is one
 * to one: a client's requests go down its own upstream connection, in order.
 */
@SuppressWarnings("checkstyle:regexp") // a command-line tool: printing where it listens is the point
public final class NettyRelay {

    private NettyRelay() {
    }

    public static void main(String[] args) throws InterruptedException {
        InetSocketAddress upstream = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0]));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false) // nothing is read before the upstream is there
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel client) {
                        new Bootstrap()
                                .group(client.eventLoop())
                                .channel(EpollSocketChannel.class)
                                .option(ChannelOption.TCP_NODELAY, true)
                                .handler(new Pipe(client))
                                .connect(upstream)
                                .addListener((ChannelFutureListener) connected -> {
                                    if (!connected.isSuccess()) {
                                        client.close();
                                        return;
                                    }
                                    client.pipeline().addLast(new Pipe(connected.channel()));
                                    client.config().setAutoRead(true);
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        System.out.println("listening on http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort());
        System.out.flush();
        try {
            server.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }

    /** Writes what one side reads to the other, flushing once per read batch; a close on either side closes both. */
    private static final class Pipe extends ChannelInboundHandlerAdapter {

        private final Channel peer;

        Pipe(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.write(msg, peer.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            peer.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
