package dev.turnout.proxy.demo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in application server for {@code --demo}: answers every path with its version and id
 * as JSON, and {@code /health} with 200. It aggregates requests, which is fine for a toy app and
 * never done on the proxy's own path.
 */
final class DemoBackend {

    private final String id;
    private final String version;
    private final Channel channel;

    private DemoBackend(String id, String version, Channel channel) {
        this.id = id;
        this.version = version;
        this.channel = channel;
    }

    static DemoBackend start(String id, String version, EventLoopGroup group,
            Class<? extends ServerChannel> channelType) throws InterruptedException {
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(1 << 20), new Responder(id, version));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        return new DemoBackend(id, version, channel);
    }

    String id() {
        return id;
    }

    String version() {
        return version;
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    void stop() {
        channel.close().syncUninterruptibly();
    }

    private static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {

        private final String id;
        private final String version;

        Responder(String id, String version) {
            this.id = id;
            this.version = version;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String body = request.uri().startsWith("/health")
                    ? "ok\n"
                    : "{\"version\":\"" + version + "\",\"server\":\"" + id + "\",\"path\":\""
                            + request.uri().replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"request_id\":\""
                            + request.headers().get("x-request-id", "") + "\"}\n";
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, body.startsWith("{")
                            ? HttpHeaderValues.APPLICATION_JSON : HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response);
        }
    }
}
