package dev.turnout.proxy.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Http2Backend;
import dev.turnout.proxy.testing.Http2Client;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Pools of HTTP/2 backends (h2c here; h2 over TLS in GrpcProxyTest and BackendTlsTest), against a raw
 * HTTP/2 server that misbehaves on cue, and interim answers to HTTP/2 and HTTP/1.1 clients.
 */
class Http2UpstreamTest {

    private static String h2cPool(Http2Backend backend) {
        return "pools { app { protocol = h2c, backends = [ " + TestProxy.backend("h1", backend.address(), 1) + " ] } }\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { app = 100 } } ]";
    }

    private static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("http").authority("a.test").path(path);
    }

    @Test
    void streamsShareOneConnectionPerEventLoop() throws Exception {
        try (Http2Backend backend = Http2Backend.plaintext(null, s -> s.respond(200, "saw " + s.path(), null));
                Turnout proxy = TestProxy.start(h2cPool(backend))) {
            for (int i = 0; i < 5; i++) {
                try (RawClient client = RawClient.connect(proxy.address())) {
                    RawResponse r = client.get("a.test", "/" + i);
                    assertEquals(200, r.status(), r::toString);
                    assertEquals("saw /" + i, r.bodyText());
                }
            }
            assertEquals(1, backend.connectionCount(), "five client connections, one backend connection");
            Http2Headers seen = backend.streams().get(0).headers();
            assertEquals("a.test", String.valueOf(seen.authority()));
            assertEquals("http", String.valueOf(seen.scheme()));
            assertTrue(seen.contains("x-forwarded-for"), seen::toString);
        }
    }

    @Test
    void earlyHintsFromAnHttp2BackendReachAnHttp11ClientFirst() throws Exception {
        try (Http2Backend backend = Http2Backend.plaintext(null,
                s -> s.interim(103, "link", "</style.css>; rel=preload").respond(200, "page", null));
                Turnout proxy = TestProxy.start(h2cPool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("GET /page HTTP/1.1\r\nHost: a.test\r\n\r\n");
            RawResponse hints = client.readResponse();
            assertEquals(103, hints.status(), hints::toString);
            assertEquals("</style.css>; rel=preload", hints.header("Link"));
            RawResponse page = client.readResponse();
            assertEquals(200, page.status(), page::toString);
            assertEquals("page", page.bodyText());
        }
    }

    @Test
    void earlyHintsReachAnHttp2ClientBeforeTheFinalAnswerFromEitherKindOfBackend() throws Exception {
        try (Http2Backend h2 = Http2Backend.plaintext(null, s -> s.interim(103, "link", "</a.js>").respond(200, "page", null));
                FakeBackend h1 = FakeBackend.start(Reply.raw("HTTP/1.1 103 Early Hints\r\nLink: </a.js>\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npage"))) {
            for (String pools : List.of(h2cPool(h2), TestProxy.singlePool(h1))) {
                try (Turnout proxy = TestProxy.start(pools);
                        Http2Client client = Http2Client.connect(proxy.address(), null)) {
                    Http2Client.Response response = client.send(get("/page"), null).await();
                    List<Http2Headers> blocks = response.headerBlocks();
                    assertEquals(2, blocks.size(), blocks::toString);
                    assertEquals("103", String.valueOf(blocks.get(0).status()));
                    assertEquals("</a.js>", String.valueOf(blocks.get(0).get("link")));
                    assertFalse(response.endedStream(0), "an interim answer does not end the stream");
                    assertEquals("200", String.valueOf(blocks.get(1).status()));
                    assertEquals("page", response.bodyText());
                }
            }
        }
    }

    @Test
    void trailersReachAnHttp2Client() throws Exception {
        Http2Headers trailers = new DefaultHttp2Headers().add("x-checksum", "abc123");
        try (Http2Backend backend = Http2Backend.plaintext(null, s -> s.respond(200, "body", trailers));
                Turnout proxy = TestProxy.start(h2cPool(backend));
                Http2Client client = Http2Client.connect(proxy.address(), null)) {
            Http2Client.Response response = client.send(get("/t"), null).await();
            List<Http2Headers> blocks = response.headerBlocks();
            assertEquals(2, blocks.size(), blocks::toString);
            assertEquals("body", response.bodyText());
            assertEquals("abc123", String.valueOf(blocks.get(1).get("x-checksum")));
            assertTrue(response.endedStream(1), "the trailers end the stream");
        }
    }

    @Test
    void streamsBeyondTheBackendsLimitGoOnNewConnections() throws Exception {
        List<Http2Backend.Stream> held = new CopyOnWriteArrayList<>();
        try (Http2Backend backend = Http2Backend.plaintext(2L, held::add);
                Turnout proxy = TestProxy.start(h2cPool(backend))) {
            List<RawClient> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                RawClient client = RawClient.connect(proxy.address());
                client.send("GET /" + i + " HTTP/1.1\r\nHost: a.test\r\n\r\n");
                clients.add(client);
            }
            Await.until("all five requests at the backend", () -> held.size() == 5);
            Map<Integer, Long> perConnection = held.stream()
                    .collect(Collectors.groupingBy(Http2Backend.Stream::connection, Collectors.counting()));
            assertEquals(3, perConnection.size(), "2 + 2 + 1 streams: " + perConnection);
            assertTrue(perConnection.values().stream().allMatch(n -> n <= 2), perConnection::toString);
            held.forEach(s -> s.respond(200, "answered " + s.path(), null));
            for (int i = 0; i < 5; i++) {
                try (RawClient client = clients.get(i)) {
                    assertEquals("answered /" + i, client.readResponse().bodyText());
                }
            }
        }
    }

    @Test
    void aStreamRefusedUnprocessedIsSentAgainWithItsBody() throws Exception {
        Set<String> refused = ConcurrentHashMap.newKeySet();
        try (Http2Backend backend = Http2Backend.plaintext(null, s -> {
            if (refused.add(s.path())) {
                s.reset(Http2Error.REFUSED_STREAM);
            } else {
                s.respond(200, "got " + s.bodyText(), null);
            }
        });
                Turnout proxy = TestProxy.start(h2cPool(backend));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse r = client.post("a.test", "/orders", "one order");
            assertEquals(200, r.status(), r::toString);
            assertEquals("got one order", r.bodyText(), "a POST too: the backend said it did not act on it");
            assertEquals(2, backend.streams().size());
        }
    }

    @Test
    void aGoAwayLeavesItsUnprocessedStreamToAnotherConnection() throws Exception {
        CompletableFuture<Http2Backend.Stream> first = new CompletableFuture<>();
        try (Http2Backend backend = Http2Backend.plaintext(null, s -> {
            if (s.path().equals("/first")) {
                first.complete(s); // held until the second stream arrives
            } else if (s.connection() == 1) {
                s.goAway(first.join().streamId()); // the second stream is above the last one processed
                first.join().respond(200, "first done", null);
            } else {
                s.respond(200, "second on connection " + s.connection() + ": " + s.bodyText(), null);
            }
        });
                Turnout proxy = TestProxy.start(h2cPool(backend));
                RawClient one = RawClient.connect(proxy.address());
                RawClient two = RawClient.connect(proxy.address())) {
            one.send("GET /first HTTP/1.1\r\nHost: a.test\r\n\r\n");
            first.get(10, TimeUnit.SECONDS);
            RawResponse second = two.post("a.test", "/second", "payload");
            assertEquals(200, second.status(), second::toString);
            assertEquals("second on connection 2: payload", second.bodyText());
            assertEquals("first done", one.readResponse().bodyText(), "the processed stream is answered on the old connection");
            assertEquals(2, backend.connectionCount());
        }
    }

    @Test
    void aCallsOwnGrpcTimeoutEndsItWithDeadlineExceededAndResetsTheBackendStream() throws Exception {
        List<Http2Backend.Stream> held = new CopyOnWriteArrayList<>();
        try (Http2Backend backend = Http2Backend.plaintext(null, held::add);
                Turnout proxy = TestProxy.start(h2cPool(backend));
                Http2Client client = Http2Client.connect(proxy.address(), null)) {
            Http2Headers call = new DefaultHttp2Headers().method("POST").scheme("http").authority("a.test")
                    .path("/test.Echo/Hang").add("content-type", "application/grpc").add("te", "trailers")
                    .add("grpc-timeout", "200m");
            Http2Client.Response response = client.send(call, "\0\0\0\0\0").await();
            List<Http2Headers> blocks = response.headerBlocks();
            assertEquals(1, blocks.size(), "a trailers-only answer: " + blocks);
            assertTrue(response.endedStream(0));
            assertEquals("200", String.valueOf(blocks.get(0).status()));
            assertEquals("4", String.valueOf(blocks.get(0).get("grpc-status")), "DEADLINE_EXCEEDED");
            assertEquals("turnout: the call's grpc-timeout ran out", String.valueOf(blocks.get(0).get("grpc-message")));
            Await.until("the backend's stream to be reset", () -> held.size() == 1 && held.get(0).wasReset());
            assertEquals("200m", String.valueOf(held.get(0).headers().get("grpc-timeout")), "the backend knows the deadline");
            assertEquals("trailers", String.valueOf(held.get(0).headers().get("te")));
        }
    }

    @Test
    void aClientResetResetsTheBackendStream() throws Exception {
        List<Http2Backend.Stream> held = new CopyOnWriteArrayList<>();
        try (Http2Backend backend = Http2Backend.plaintext(null, held::add);
                Turnout proxy = TestProxy.start(h2cPool(backend));
                Http2Client client = Http2Client.connect(proxy.address(), null)) {
            Http2Client.Response response = client.send(get("/long"), null);
            Await.until("the request at the backend", () -> held.size() == 1);
            response.cancel();
            Await.until("the backend's stream to be reset", () -> held.get(0).wasReset());
        }
    }
}
