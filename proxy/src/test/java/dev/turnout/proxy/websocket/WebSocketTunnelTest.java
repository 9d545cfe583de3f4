package dev.turnout.proxy.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** WebSocket through Turnout: the upgrade forwarded, frames tunnelled both ways, the tunnel in flight for drains. */
class WebSocketTunnelTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private EventLoopGroup group;
    private Channel echo;

    /** A WebSocket echo server on /ws ("echo: " + each text frame), written with Netty's own codec. */
    @BeforeEach
    void startEchoBackend() throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        echo = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new WebSocketServerProtocolHandler("/ws"),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
                                        ctx.writeAndFlush(new TextWebSocketFrame("echo: " + frame.text()));
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    @AfterEach
    void stopEchoBackend() {
        echo.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private String config() {
        int port = ((InetSocketAddress) echo.localAddress()).getPort();
        return "pools { app { backends = [ " + TestProxy.backend("ws1", "127.0.0.1:" + port, 1) + " ] } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]";
    }

    private static HttpResponse<String> admin(Turnout proxy, String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void framesGoBothWaysAndADrainWaitsForTheOpenTunnel() throws Exception {
        try (Turnout proxy = TestProxy.start(config())) {
            LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
            WebSocket socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            received.add(data.toString());
                            webSocket.request(1);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                socket.sendText("hello " + i, true).get(5, TimeUnit.SECONDS);
                assertEquals("echo: hello " + i, received.poll(5, TimeUnit.SECONDS));
            }
            String backend = "/api/v1/pools/app/backends/ws1";
            assertTrue(admin(proxy, "GET", backend).body().contains("\"inflight\":1"), "an open tunnel is in flight");

            HttpResponse<String> drain = admin(proxy, "POST", backend + "/drain?wait=300ms");
            assertEquals(202, drain.statusCode(), "the drain waits for the tunnel: " + drain.body());
            socket.sendText("still here", true).get(5, TimeUnit.SECONDS);
            assertEquals("echo: still here", received.poll(5, TimeUnit.SECONDS), "a drain does not cut an open tunnel");

            CompletableFuture<HttpResponse<String>> idle = CompletableFuture.supplyAsync(() -> {
                try {
                    return admin(proxy, "POST", backend + "/drain?wait=10s");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            assertEquals(200, idle.get(15, TimeUnit.SECONDS).statusCode(), "the drain completes when the tunnel closes");
            Await.until("the backend to show nothing in flight", Duration.ofSeconds(5), () -> {
                try {
                    return admin(proxy, "GET", backend).body().contains("\"state\":\"drained\"");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    @Test
    void aDrainedBackendsTunnelIsClosedAtItsDeadline() throws Exception {
        try (Turnout proxy = TestProxy.start(config() + "\ntimeouts.tunnel-drain = 500ms")) {
            CompletableFuture<Integer> closed = new CompletableFuture<>();
            WebSocket socket = HTTP.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                            closed.complete(statusCode);
                            return null;
                        }

                        @Override
                        public void onError(WebSocket webSocket, Throwable error) {
                            closed.complete(-1);
                        }
                    }).get(10, TimeUnit.SECONDS);
            HttpResponse<String> drain = admin(proxy, "POST", "/api/v1/pools/app/backends/ws1/drain?wait=10s");
            assertEquals(200, drain.statusCode(), "closed at its deadline, so the drain finished: " + drain.body());
            closed.get(10, TimeUnit.SECONDS);
            assertTrue(socket.isInputClosed(), "the client saw its tunnel end");
        }
    }

    @Test
    void plainRequestsStillWorkBesideTunnels() throws Exception {
        try (Turnout proxy = TestProxy.start(config())) {
            HttpResponse<String> plain = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + proxy.address().getPort() + "/ws")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, plain.statusCode(), "the echo backend refuses a non-upgrade request itself");
        }
    }
}
