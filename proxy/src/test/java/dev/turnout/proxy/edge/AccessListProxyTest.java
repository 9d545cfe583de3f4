package dev.turnout.proxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/** allow and deny on real sockets, over IPv4 and IPv6 loopback: a refused client gets 403 and reaches no backend. */
class AccessListProxyTest {

    private static String config(FakeBackend backend, String listen) {
        return "listen = \"" + listen + "\"\n"
                + "pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] } }\n"
                + "routes = [\n"
                + "  { name = denied, path-prefix = \"/denied\", split { app = 100 }, deny = [\"127.0.0.0/8\", \"::1\"] }\n"
                + "  { name = office, path-prefix = \"/office\", split { app = 100 },"
                + " allow = [\"10.0.0.0/8\", \"2001:db8::/32\"] }\n"
                + "  { name = local, path-prefix = \"/local\", split { app = 100 }, allow = [\"127.0.0.1/32\", \"::1/128\"],"
                + " deny = [\"10.0.0.0/8\"] }\n"
                + "]";
    }

    @Test
    void anIpv4ClientIsRefusedByDenyAndByAnAllowListThatLacksIt() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(config(backend, "127.0.0.1:0"));
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse denied = client.get("a.test", "/denied");
            assertEquals(403, denied.status());
            assertTrue(denied.bodyText().contains("client address"), denied.bodyText());
            assertFalse(denied.closes(), "a refusal keeps the connection");
            assertEquals(403, client.get("a.test", "/office").status());
            assertEquals(200, client.get("a.test", "/local").status());
            assertEquals(1, backend.requestCount(), "only the allowed request reached the backend");
            assertEquals("/local", backend.awaitRequest(0).uri());
        }
    }

    @Test
    void anIpv6ClientIsRefusedByDenyAndByAnAllowListThatLacksIt() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(config(backend, "[::1]:0"));
                RawClient client = RawClient.connect("::1", proxy.address().getPort())) {
            assertEquals(403, client.get("a.test", "/denied").status());
            assertEquals(403, client.get("a.test", "/office").status());
            assertEquals(200, client.get("a.test", "/local").status());
            assertEquals(1, backend.requestCount());
            assertEquals("0:0:0:0:0:0:0:1", backend.awaitRequest(0).header("X-Forwarded-For"));
        }
    }

    @Test
    void aRefusedPostIsAnsweredAndItsBodyReachesNoBackend() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(config(backend, "127.0.0.1:0"));
                RawClient client = RawClient.connect(proxy.address())) {
            client.send("POST /denied HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n\r\nhello");
            RawResponse refused = client.readResponse();
            assertEquals(403, refused.status());
            assertTrue(refused.closes(), "as for any answer given before the body: the body is not read, the connection ends");
            client.readUntilClosed();
            assertEquals(0, backend.requestCount());
        }
    }
}
