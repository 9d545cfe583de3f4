package dev.turnout.proxy.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Cleartext HTTP/2 with prior knowledge on the plain listener, beside HTTP/1.1 (curl is the h2c client). */
class Http2CleartextTest {

    @Test
    void aConnectionOpeningWithThePrefaceSpeaksHttp2AndOthersHttp11() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl not installed (Debian package curl)");
        try (FakeBackend backend = FakeBackend.start(Reply.answer(r -> "saw " + r.uri() + " proto="
                + r.headers().get("x-forwarded-proto")));
                Turnout proxy = TestProxy.start(backend)) {
            String url = "http://127.0.0.1:" + proxy.address().getPort();
            for (String path : new String[] {"/one", "/two"}) {
                Process curl = new ProcessBuilder("curl", "-s", "--http2-prior-knowledge", "-w", " version=%{http_version}",
                        url + path).redirectErrorStream(true).start();
                String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
                assertEquals("saw " + path + " proto=http version=2", output, "h2c with prior knowledge");
            }
            try (RawClient http11 = RawClient.connect(proxy.address())) {
                assertEquals("saw /three proto=http", http11.get("a.test", "/three").bodyText());
            }
            assertEquals(3, backend.requestCount());
        }
    }
}
