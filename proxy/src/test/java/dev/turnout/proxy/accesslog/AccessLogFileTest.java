package dev.turnout.proxy.accesslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code turnout.access-log.file}: a running proxy's lines, proxied and refused, reach the file by the time it stops. */
class AccessLogFileTest {

    @Test
    void everyExchangeIsALineInTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.json");
        try (FakeBackend app = FakeBackend.start(Reply.ok("hello"))) {
            Turnout proxy = TestProxy.start("access-log { file = \"" + file + "\", format = json }\n"
                    + TestProxy.singlePool(app));
            try (RawClient client = RawClient.connect(proxy.address());
                    RawClient bad = RawClient.connect(proxy.address())) {
                assertEquals(200, client.get("a.test", "/first?x=1").status());
                assertEquals(200, client.get("a.test", "/second").status());
                bad.send("GET / HTTP/1.1\r\nHost: a.test\r\nBad Header: x\r\n\r\n");
                assertEquals(400, bad.readResponse().status());
            } finally {
                proxy.close();
            }
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size(), String.join("\n", lines));
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.stream().filter(l -> l.contains("/first")).findFirst().orElseThrow());
        assertEquals("/first?x=1", first.path("url.original").asText());
        assertEquals(200, first.path("http.response.status_code").asInt());
        assertEquals(5, first.path("http.response.body.bytes").asInt());
        assertEquals("127.0.0.1", first.path("client.ip").asText());
        assertTrue(first.path("event.duration").asLong() > 0);
        assertTrue(!first.path("http.request.id").asText().isEmpty() && !"-".equals(first.path("turnout.backend").asText()),
                first.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"http.response.status_code\":400")), "the refused request too");
    }
}
