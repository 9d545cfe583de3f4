package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.accesslog.LoggerAccessLog;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.upstream.UpstreamStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An exchange with no channel at all: its client side is a recording {@link Downstream}. These
 * exchanges are answered without a backend (refusals, no route, no backend, a redirect).
 */
class ExchangeTest {

    private static final String ROUTES = "pools { empty { backends = [ { id = z, address = \"127.0.0.1:9\", weight = 0 } ] } }\n"
            + "routes = [ { name = r, host = \"known.test\", split { empty = 100 } } ]";

    private final Recording downstream = new Recording();

    private Exchange exchange(String redirectPort) {
        TurnoutConfig config = ConfigLoader.parse("turnout { listen = \"127.0.0.1:0\", state-file = \"\"\n" + ROUTES + "\n}");
        FrontendShared shared = new FrontendShared(new RoutingState(RouteTable.fromConfig(config)), null, null, null, null,
                new LoggerAccessLog(), redirectPort);
        // No backend is ever reached, so no event loop is needed.
        return new Exchange(shared, downstream, null, false);
    }

    private static HttpRequest request(HttpVersion version, HttpMethod method, String uri, String host) {
        HttpRequest head = new DefaultHttpRequest(version, method, uri);
        if (host != null) {
            head.headers().set(HttpHeaderNames.HOST, host);
        }
        return head;
    }

    /** A bodiless request: its head, then the empty end the decoder always sends. */
    private static void run(Exchange exchange, HttpRequest head) {
        exchange.begin(head);
        exchange.onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void noRouteIs503AndTheConnectionServesTheNextRequest() {
        Exchange exchange = exchange(null);
        run(exchange, request(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x", "unknown.test"));
        assertEquals(List.of("503 null no route for this host and path"), downstream.answers);
        assertEquals(List.of(true), downstream.ends);
        assertEquals(List.of("GET /x 503"), downstream.logged);
        assertFalse(exchange.running());
    }

    @Test
    void anAnswerGivenBeforeTheRequestsEndEndsTheExchangeAtThatEnd() {
        Exchange exchange = exchange(null);
        exchange.begin(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x", "unknown.test"));
        assertEquals(1, downstream.answers.size());
        assertEquals(List.of(), downstream.ends, "the request's end is still to be read");
        assertTrue(exchange.running());
        exchange.onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals(List.of(true), downstream.ends);
    }

    @Test
    void aRequestInDoubtIsRefusedAndItsConnectionClosed() {
        exchange(null).begin(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x", null));
        assertEquals(List.of("400 close HTTP/1.1 request without a Host header"), downstream.answers);
        assertEquals(List.of(false), downstream.ends, "at once: nothing more is read");
    }

    @Test
    void anUnmetExpectationIsRefusedButKeepsTheConnection() {
        HttpRequest head = request(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x", "known.test");
        head.headers().set(HttpHeaderNames.EXPECT, "x-other");
        run(exchange(null), head);
        assertEquals(List.of("417 null only Expect: 100-continue is supported"), downstream.answers);
        assertEquals(List.of(true), downstream.ends);
    }

    @Test
    void anHttp10ClientThatKeepsItsConnectionIsToldSo() {
        HttpRequest head = request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/x", "unknown.test");
        head.headers().set(HttpHeaderNames.CONNECTION, "keep-alive");
        run(exchange(null), head);
        assertEquals(List.of("503 keep-alive no route for this host and path"), downstream.answers);
        assertEquals(List.of(true), downstream.ends);
    }

    @Test
    void aGrpcCallTurnoutCannotServeGetsAGrpcStatusAndCountsAsTheFailure() {
        HttpRequest call = request(HttpVersion.HTTP_1_1, HttpMethod.POST, "/pkg.Service/Method", "known.test");
        call.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
        run(exchange(null), call);
        assertEquals(List.of("200 null"), downstream.answers.stream().map(String::trim).toList(),
                "HTTP 200 with the status in grpc-status, not a text page");
        assertEquals("14", downstream.grpcStatus);
        assertEquals(List.of("POST /pkg.Service/Method 503"), downstream.logged, "logged and counted as the failure it is");
    }

    @Test
    void aPoolWithNoBackendInRotationIs503() {
        run(exchange(null), request(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x", "known.test"));
        assertEquals(List.of("503 null no backend available"), downstream.answers);
    }

    @Test
    void aBodyThatWillNotBeReadEndsTheConnectionWithTheAnswer() {
        Exchange exchange = exchange(null);
        HttpRequest post = request(HttpVersion.HTTP_1_1, HttpMethod.POST, "/x", "unknown.test");
        post.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 5);
        exchange.begin(post);
        assertEquals(List.of("503 close no route for this host and path"), downstream.answers);
        assertEquals(List.of(false), downstream.ends);

        ByteBuf body = Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII);
        exchange.onRequestContent(new DefaultLastHttpContent(body));
        assertEquals(0, body.refCnt(), "what still arrives is released");
        assertEquals(List.of(false), downstream.ends);
    }

    @Test
    void duringShutdownTheAnswerSaysCloseAndTheConnectionEnds() {
        downstream.mayKeepAlive = false;
        exchange(null).begin(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x", "unknown.test"));
        assertEquals(List.of("503 close no route for this host and path"), downstream.answers);
        assertEquals(List.of(false), downstream.ends);
    }

    @Test
    void thePlainListenerRedirectsToTheTlsOne() {
        run(exchange("8443"), request(HttpVersion.HTTP_1_1, HttpMethod.GET, "/p?q", "a.test:80"));
        assertEquals(List.of("308 null "), downstream.answers);
        assertEquals("https://a.test:8443/p?q", downstream.location);
    }

    /** Records what the exchange says to its client, and releases it. */
    private static final class Recording implements Downstream {

        final List<String> answers = new ArrayList<>();
        final List<Boolean> ends = new ArrayList<>();
        final List<String> logged = new ArrayList<>();
        String location;
        String grpcStatus;
        boolean mayKeepAlive = true;
        private boolean closing;

        @Override
        public void answer(FullHttpResponse response) {
            answers.add(response.status().code() + " " + response.headers().get(HttpHeaderNames.CONNECTION) + " "
                    + response.content().toString(StandardCharsets.US_ASCII).trim().replaceFirst("^\\d+ [^:]*: ", ""));
            location = response.headers().get(HttpHeaderNames.LOCATION);
            grpcStatus = response.headers().get("grpc-status");
            response.release();
        }

        @Override
        public void interim(FullHttpResponse interim) {
            answers.add(interim.status().code() + " interim");
            interim.release();
        }

        @Override
        public void end(boolean keepAlive) {
            ends.add(keepAlive);
        }

        @Override
        public void ended(Exchange exchange, long endNanos) {
            logged.add(exchange.method() + " " + exchange.uri() + " " + exchange.status());
            assertNull(exchange.backend());
        }

        @Override
        public void readNoMore() {
            closing = true;
        }

        @Override
        public boolean closing() {
            return closing;
        }

        @Override
        public boolean mayKeepAlive() {
            return mayKeepAlive && !closing;
        }

        @Override
        public String clientIp() {
            return "192.0.2.1";
        }

        @Override
        public void head(HttpResponse head) {
            throw new AssertionError("nothing is relayed without a backend");
        }

        @Override
        public void body(HttpContent content) {
            throw new AssertionError("nothing is relayed without a backend");
        }

        @Override
        public void flush() {
        }

        @Override
        public void reset() {
            throw new AssertionError("no answer started that could be cut short");
        }

        @Override
        public void pause(int reason) {
        }

        @Override
        public void resume(int reasons) {
        }

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void upgrade(Exchange exchange, FullHttpResponse answer, UpstreamStream backendSide, Backend backend) {
            throw new AssertionError("no backend, no upgrade");
        }
    }
}
