package dev.turnout.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.accesslog.LoggerAccessLog;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.exchange.FrontendShared;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.tls.BackendTlsContexts;
import dev.turnout.proxy.transport.Transport;
import dev.turnout.proxy.upstream.UpstreamConnector;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The frontend handler behind a real HTTP codec in an {@link EmbeddedChannel}, for the answers it
 * gives without ever opening a backend connection.
 */
class ProxyFrontendHandlerEmbeddedTest {

    private EmbeddedChannel channel;

    private void start(String hocon) {
        TurnoutConfig config = ConfigLoader.parse("turnout { listen = \"127.0.0.1:0\", state-file = \"\"\n" + hocon + "\n}");
        // No backend is ever contacted here, so there is nothing for an outlier ejector to do.
        FrontendShared shared = new FrontendShared(new RoutingState(RouteTable.fromConfig(config)),
                new UpstreamConnector(Transport.best(), config::timeouts, new BackendTlsContexts()), null, null, null,
                new LoggerAccessLog(), null);
        channel = new EmbeddedChannel(new HttpServerCodec(), new ProxyFrontendHandler(shared, false, TrustedProxies.NONE, null));
    }

    @AfterEach
    void finish() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void noRouteIs503AndTheConnectionStaysOpen() {
        start("");
        send("GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n");
        String out = output();
        assertTrue(out.startsWith("HTTP/1.1 503 "), out);
        assertTrue(out.endsWith("no route for this host and path\n"), out);
        assertTrue(channel.isOpen());
    }

    @Test
    void pipelinedFailuresAreAnsweredInOrder() {
        start("pools { empty { backends = [ { id = z, address = \"127.0.0.1:9\", weight = 0 } ] } }\n"
                + "routes = [ { name = r, host = \"known.test\", split { empty = 100 } } ]");
        send("GET /1 HTTP/1.1\r\nHost: unknown.test\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: known.test\r\n\r\n"
                + "GET /3 HTTP/1.1\r\n\r\n");
        String out = output();
        int first = out.indexOf("HTTP/1.1 503 ");
        int second = out.indexOf("HTTP/1.1 503 ", first + 1);
        int third = out.indexOf("HTTP/1.1 400 ");
        assertTrue(first >= 0 && second > first && third > second, out);
        assertTrue(out.substring(first, second).contains("no route"), out);
        assertTrue(out.substring(second, third).contains("no backend available"), out);
        assertTrue(out.substring(third).contains("Host"), out);
    }

    @Test
    void malformedRequestIs400AndClosesTheConnection() {
        start("");
        send("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
        String out = output();
        assertTrue(out.startsWith("HTTP/1.1 400 "), out);
        assertTrue(out.toLowerCase().contains("connection: close"), out);
        channel.runPendingTasks();
        assertFalse(channel.isOpen());
    }

    @Test
    void aBodyTheProxyWillNotReadClosesTheConnectionAfterTheError() {
        start("");
        send("POST /x HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\npartial");
        String out = output();
        assertTrue(out.startsWith("HTTP/1.1 503 "), out);
        assertTrue(out.toLowerCase().contains("connection: close"), out);
        channel.runPendingTasks();
        assertFalse(channel.isOpen());
    }

    private void send(String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
        channel.runPendingTasks();
    }

    private String output() {
        StringBuilder out = new StringBuilder();
        for (Object o = channel.readOutbound(); o != null; o = channel.readOutbound()) {
            ByteBuf buf = (ByteBuf) o;
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }
}
