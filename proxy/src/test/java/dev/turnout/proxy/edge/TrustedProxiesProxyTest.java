package dev.turnout.proxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AccessLogLines;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.ProxyProtocolHeaders;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * A client behind three proxies (a CDN, a balancer, and a local sidecar that connects to Turnout), all in
 * {@code trusted-proxies}: the client they name is the client for the access list, the rate limit and the
 * log, and the backend gets the whole chain with the last proxy appended.
 */
class TrustedProxiesProxyTest {

    private static final String CHAIN = "X-Forwarded-For: 203.0.113.7, 10.9.0.1\r\nX-Forwarded-For: 10.0.0.2\r\n";

    private static String config(FakeBackend backend, String extra) {
        return extra + "trusted-proxies = [\"127.0.0.1/32\", \"10.0.0.0/8\"]\n"
                + "pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] } }\n"
                + "routes = [\n"
                + "  { name = customers, path-prefix = \"/customers\", split { app = 100 }, allow = [\"203.0.113.0/24\"] }\n"
                + "  { name = limited, path-prefix = \"/limited\", split { app = 100 }, rate-limit { rate = 1/h, burst = 1 } }\n"
                + "  { name = web, split { app = 100 } }\n"
                + "]";
    }

    private static RawResponse get(RawClient client, String path, String headers) throws IOException {
        client.send("GET " + path + " HTTP/1.1\r\nHost: a.test\r\n" + headers + "\r\n");
        return client.readResponse();
    }

    @Test
    void aChainOfThreeTrustedProxiesNamesTheClient() throws Exception {
        try (AccessLogLines log = AccessLogLines.capture();
                FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(config(backend, ""));
                RawClient sidecar = RawClient.connect(proxy.address())) {
            assertEquals(200, get(sidecar, "/customers", CHAIN).status(), "203.0.113.7 is allowed");
            assertEquals("203.0.113.7, 10.9.0.1, 10.0.0.2, 127.0.0.1", backend.awaitRequest(0).header("X-Forwarded-For"));
            assertTrue(log.awaitLine("\"GET /customers\"").startsWith("203.0.113.7 "), log.lines().toString());

            assertEquals(403, get(sidecar, "/customers", "X-Forwarded-For: 198.51.100.1, 10.0.0.2\r\n").status());
            assertEquals(403, get(sidecar, "/customers", "X-Forwarded-For: 203.0.113.7, 198.51.100.1\r\n").status(),
                    "what the client wrote left of itself is not believed");

            assertEquals(200, get(sidecar, "/limited", CHAIN).status());
            assertEquals(429, get(sidecar, "/limited", "X-Forwarded-For: 203.0.113.7, 10.0.0.9\r\n").status(),
                    "the same client through other proxies");
            assertEquals(200, get(sidecar, "/limited", "X-Forwarded-For: 203.0.113.8, 10.0.0.2\r\n").status());
        }
    }

    @Test
    void aBalancersProxyHeaderAndItsForwardedForCombine() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start(config(backend, "proxy-protocol = true\n"));
                RawClient client = RawClient.connect(proxy.address())) {
            // An L7 proxy (10.0.0.2, trusted) behind an L4 balancer that speaks the PROXY protocol.
            client.send(ProxyProtocolHeaders.then(ProxyProtocolHeaders.v1("10.0.0.2", "192.0.2.1", 51000, 80),
                    "GET /customers HTTP/1.1\r\nHost: a.test\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n"));
            assertEquals(200, client.readResponse().status());
            assertEquals("203.0.113.7, 10.0.0.2", backend.awaitRequest(0).header("X-Forwarded-For"));
        }
    }
}
