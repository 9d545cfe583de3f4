package dev.turnout.proxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.RawResponse;
import dev.turnout.proxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/** A route's redirect on real sockets: Turnout answers its status and Location, and no backend is asked. */
class RedirectProxyTest {

    @Test
    void answersTheStatusAndLocationWithThePlaceholdersFilled() throws Exception {
        try (FakeBackend backend = FakeBackend.start();
                Turnout proxy = TestProxy.start("pools { app { backends = [ " + TestProxy.backend("b0", backend, 1) + " ] } }\n"
                        + "routes = [\n"
                        + "  { name = moved, path-prefix = \"/moved\", split { app = 100 },"
                        + " redirect { to = \"https://{host}{path}{query}\", status = 308 } }\n"
                        + "  { name = old, path-prefix = \"/old\", split { app = 100 },"
                        + " redirect { to = \"{scheme}://www.example.com/new?from={path}\", status = 301 } }\n"
                        + "  { name = temp, path-prefix = \"/temp\", split { app = 100 }, redirect { to = \"/elsewhere\" } }\n"
                        + "  { name = web, split { app = 100 } }\n"
                        + "]");
                RawClient client = RawClient.connect(proxy.address())) {
            RawResponse moved = client.get("shop.example:8080", "/moved/cart?item=7&q=a%20b");
            assertEquals(308, moved.status());
            assertEquals("https://shop.example/moved/cart?item=7&q=a%20b", moved.header("Location"));
            assertEquals("0", moved.header("Content-Length"));

            RawResponse old = client.get("shop.example", "/old/page");
            assertEquals(301, old.status());
            assertEquals("http://www.example.com/new?from=/old/page", old.header("Location"));

            RawResponse temp = client.get("shop.example", "/temp");
            assertEquals(302, temp.status(), "302 unless the route says otherwise");
            assertEquals("/elsewhere", temp.header("Location"));

            assertEquals(200, client.get("shop.example", "/other").status());
            assertEquals(1, backend.requestCount(), "no redirect reached the backend");
        }
    }
}
