package dev.turnout.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.Http2Backend;
import dev.turnout.proxy.tls.BackendTlsContexts;
import dev.turnout.proxy.transport.Transport;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 connections to a backend, driven through the connector on one event loop as exchanges
 * drive them: a stream per request on a shared connection, waiting for a connection being opened,
 * SETTINGS_MAX_CONCURRENT_STREAMS, GOAWAY and drains.
 */
class Http2UpstreamsTest {

    private final EventLoopGroup group = Transport.best().newGroup(1, "h2-upstreams-test");
    private final EventLoop loop = group.next();

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Pool pool(String address, String timeouts) {
        TurnoutConfig config = ConfigLoader.parse("turnout { " + timeouts + "\n pools { app { protocol = h2c, backends = [ "
                + "{ id = h1, address = \"" + address + "\" } ] } } }");
        return Pool.fromConfig(config.pools().get("app"));
    }

    private static UpstreamConnector connector(String timeouts) {
        TurnoutConfig config = ConfigLoader.parse("turnout { " + timeouts + " }");
        return new UpstreamConnector(Transport.best(), config::timeouts, new BackendTlsContexts());
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }

    /** Sends GET {@code path} on {@code stream}, as an attempt does. */
    private static void get(UpstreamStream stream, String path) {
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        request.headers().set(HttpHeaderNames.HOST, "a.test");
        stream.write(request);
        stream.flush();
    }

    @Test
    void requestsShareAConnectionOnceItIsReadyAndWaitForItBefore() throws Exception {
        try (Http2Backend backend = Http2Backend.plaintext(null, s -> s.respond(200, "ok " + s.path(), null))) {
            UpstreamConnector connector = connector("");
            Pool pool = pool(backend.address(), "");
            Backend b = pool.members().get(0).backend();
            Recorder first = new Recorder();
            Recorder second = new Recorder();
            List<Future<UpstreamStream>> connecting = onLoop(() -> {
                assertNull(connector.leaseIdle(pool, b, first), "no connection yet");
                assertFalse(connector.joinsPendingConnection(pool, b));
                Future<UpstreamStream> one = connector.connect(pool, b, loop);
                assertTrue(connector.joinsPendingConnection(pool, b), "one is being opened: the next request waits for it");
                return List.of(one, connector.connect(pool, b, loop));
            });
            UpstreamStream a = connecting.get(0).get(10, TimeUnit.SECONDS);
            UpstreamStream c = connecting.get(1).get(10, TimeUnit.SECONDS);
            onLoop(() -> {
                connector.bind(a, first);
                connector.bind(c, second);
                get(a, "/a");
                get(c, "/c");
                return null;
            });
            assertEquals("ok /a", first.await());
            assertEquals("ok /c", second.await());
            Recorder third = new Recorder();
            onLoop(() -> {
                connector.release(b, a);
                connector.release(b, c);
                UpstreamStream leased = connector.leaseIdle(pool, b, third);
                assertNotNull(leased, "the ready connection takes another stream at once");
                get(leased, "/d");
                return null;
            });
            assertEquals("ok /d", third.await());
            assertEquals(1, backend.connectionCount());
            assertEquals(1, b.openConnections());
        }
    }

    @Test
    void aDrainClosesAConnectionWithoutStreamsAndAGoAwayStopsNewStreams() throws Exception {
        try (Http2Backend backend = Http2Backend.plaintext(null, s -> {
            if (s.path().equals("/bye")) {
                s.goAway(s.streamId());
            }
            s.respond(200, "ok", null);
        })) {
            UpstreamConnector connector = connector("");
            Pool pool = pool(backend.address(), "");
            Backend b = pool.members().get(0).backend();
            Recorder bye = new Recorder();
            UpstreamStream stream = onLoop(() -> connector.connect(pool, b, loop)).get(10, TimeUnit.SECONDS);
            onLoop(() -> {
                connector.bind(stream, bye);
                get(stream, "/bye");
                return null;
            });
            assertEquals("ok", bye.await(), "the stream the GOAWAY names as processed is answered");
            onLoop(() -> {
                connector.release(b, stream);
                assertNull(connector.leaseIdle(pool, b, new Recorder()), "no new stream after GOAWAY");
                return null;
            });
            Await.until("the GOAWAY'd connection to close once its stream ended", () -> b.openConnections() == 0);

            UpstreamStream next = onLoop(() -> connector.connect(pool, b, loop)).get(10, TimeUnit.SECONDS);
            onLoop(() -> {
                connector.release(b, next);
                connector.closeIdle(b, List.of(loop));
                return null;
            });
            Await.until("the drained connection to close", () -> b.openConnections() == 0);
            assertEquals(2, backend.connectionCount());
        }
    }

    @Test
    void aBackendThatNeverSendsItsSettingsIsAConnectTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            String timeouts = "timeouts.connect = 300ms";
            UpstreamConnector connector = connector(timeouts);
            Pool pool = pool("127.0.0.1:" + silent.getLocalPort(), timeouts);
            Backend b = pool.members().get(0).backend();
            Future<UpstreamStream> connecting = onLoop(() -> connector.connect(pool, b, loop));
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> connecting.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof ConnectTimeoutException, String.valueOf(e.getCause()));
            Await.until("the connection to be closed", () -> b.openConnections() == 0);
        }
    }

    /** Collects one answer's body. */
    private static final class Recorder implements UpstreamListener {

        private final List<String> bodies = new CopyOnWriteArrayList<>();
        private final StringBuilder body = new StringBuilder();

        @Override
        public void onUpstreamMessage(Object msg) {
            try {
                if (msg instanceof HttpResponse head) {
                    assertEquals(200, head.status().code());
                    assertFalse(head.headers().contains("x-http2-stream-id"), "the translation's own headers are dropped");
                }
                if (msg instanceof HttpContent content) {
                    body.append(content.content().toString(StandardCharsets.UTF_8));
                }
                if (msg instanceof LastHttpContent) {
                    bodies.add(body.toString());
                    Await.signal();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        String await() {
            Await.until("an answer", () -> !bodies.isEmpty());
            return bodies.get(0);
        }

        @Override
        public void onUpstreamReadComplete() {
        }

        @Override
        public void onUpstreamWritabilityChanged(boolean writable) {
        }

        @Override
        public void onUpstreamClosed(Throwable cause) {
        }
    }
}
