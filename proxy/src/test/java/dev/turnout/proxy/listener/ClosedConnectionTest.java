package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Http2Client;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A client connection that has closed is let go: nothing left on its event loop (a timer kept armed
 * between requests, say) holds its pipeline, exchange and buffers until it runs out. At thousands of
 * short connections a second, a 30 s timer per connection would hold tens of thousands of them.
 */
class ClosedConnectionTest {

    // Timers far longer than the test waits: one left behind keeps the connection past the deadline.
    private static final String LONG_TIMERS = "\ntimeouts { request = 10m, header-read = 10m, body-read = 10m }";

    @Test
    void aClosedHttp1ConnectionIsCollected() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("hello"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + LONG_TIMERS)) {
            WeakReference<Channel> connection;
            try (RawClient client = RawClient.connect(proxy.address())) {
                assertEquals("hello", client.get("a.test", "/").bodyText());
                connection = new WeakReference<>(onlyConnection(proxy));
            }
            awaitCollected(connection);
        }
    }

    @Test
    void aClosedHttp2ConnectionIsCollected() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("hello"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend) + LONG_TIMERS)) {
            WeakReference<Channel> connection;
            try (Http2Client client = Http2Client.connect(proxy.address(), null)) {
                for (int i = 0; i < 3; i++) { // streams that end are kept by the connection for its next ones
                    Http2Client.Response response = client.send(new DefaultHttp2Headers().method("GET").scheme("http")
                            .authority("a.test").path("/" + i), null).await();
                    assertEquals("hello", response.bodyText());
                }
                connection = new WeakReference<>(onlyConnection(proxy));
            }
            awaitCollected(connection);
        }
    }

    @Test
    void aClientThatSaidItsRequestWasTheLastIsClosedWithoutALinger() throws Exception {
        try (FakeBackend backend = FakeBackend.start(Reply.ok("hello"));
                Turnout proxy = TestProxy.start(TestProxy.singlePool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
            assertEquals("hello", client.readResponse().bodyText());
            assertTrue(client.endsWithFin());
            // Nothing was left unread, so there is nothing to linger for (nginx's lingering_close does the same):
            // the socket is closed outright, and what the client sends now is refused with a reset. A linger would
            // read and drop it for as long as it kept coming (up to LingeringClose.MAX_MILLIS, 5 s).
            Await.until("bytes sent after the close to be refused", Duration.ofMillis(LingeringClose.MAX_MILLIS / 2), () -> {
                try {
                    client.send("x");
                    return false;
                } catch (IOException reset) {
                    return true;
                }
            });
        }
    }

    private static void awaitCollected(WeakReference<Channel> connection) {
        Await.until("the closed connection to be collected", Duration.ofSeconds(10), () -> {
            System.gc();
            return connection.get() == null;
        });
    }

    /** The proxy's one client connection, read from its connection group (which lets go of it on close). */
    private static Channel onlyConnection(Turnout proxy) throws ReflectiveOperationException {
        Field serverField = Turnout.class.getDeclaredField("server");
        serverField.setAccessible(true);
        Field connectionsField = ProxyServer.class.getDeclaredField("connections");
        connectionsField.setAccessible(true);
        ChannelGroup connections = (ChannelGroup) connectionsField.get(serverField.get(proxy));
        assertEquals(1, connections.size());
        return connections.iterator().next();
    }
}
