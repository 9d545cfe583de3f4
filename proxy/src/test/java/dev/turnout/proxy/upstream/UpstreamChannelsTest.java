package dev.turnout.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.tls.BackendTlsContexts;
import dev.turnout.proxy.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Opening backend connections: the counts a backend keeps of them, and the failure a caller gets. */
class UpstreamChannelsTest {

    private final EventLoopGroup group = Transport.best().newGroup(1, "upstream-channels-test");
    private final UpstreamChannels channels = new UpstreamChannels(Transport.best(), () -> 2_000, new BackendTlsContexts());

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aConnectionCountsAsPendingThenOpenUntilItCloses() throws Exception {
        try (ServerSocket server = new ServerSocket(0)) {
            Backend backend = new Backend("app", "b", "127.0.0.1:" + server.getLocalPort(),
                    new InetSocketAddress("127.0.0.1", server.getLocalPort()));
            Future<Channel> opened = channels.open(PoolTransport.PLAIN_HTTP1, backend, group.next(), ch -> { });
            Channel ch = opened.get(10, TimeUnit.SECONDS);
            // The counts follow on the event loop, just after the future wakes this thread.
            Await.until("the connect to be counted as done", () -> backend.pendingConnects() == 0);
            assertEquals(1, backend.openConnections());
            ch.close().sync();
            Await.until("the close to be counted", () -> backend.openConnections() == 0);
        }
    }

    @Test
    void aRefusedConnectFailsWithItsCause() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0)) {
            port = closed.getLocalPort();
        }
        Backend backend = new Backend("app", "b", "127.0.0.1:" + port, new InetSocketAddress("127.0.0.1", port));
        Future<Channel> opened = channels.open(PoolTransport.PLAIN_HTTP1, backend, group.next(), ch -> { });
        opened.await(10, TimeUnit.SECONDS);
        assertFalse(opened.isSuccess());
        assertTrue(opened.cause() instanceof ConnectException, String.valueOf(opened.cause()));
        Await.until("nothing left counted", () -> backend.openConnections() == 0 && backend.pendingConnects() == 0);
    }

    @Test
    void theReasonIsTheInnermostMessage() {
        SSLHandshakeException outer = new SSLHandshakeException("PKIX path building failed");
        outer.initCause(new IllegalStateException("unable to find valid certification path to requested target"));
        assertEquals("unable to find valid certification path to requested target", UpstreamChannels.reason(outer));
        assertEquals("SSLHandshakeException", UpstreamChannels.reason(new SSLHandshakeException(null)));
    }
}
