package dev.turnout.proxy.accesslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The sample conf/logback.xml, switched to JSON as its comment tells operators to, writes one
 * JSON object per request with the Elastic Common Schema keys.
 */
class AccessLogJsonTest {

    @Test
    void theSampleConfigurationWritesEcsJsonLines(@TempDir Path logs) throws Exception {
        String sample = Files.readString(Path.of("../conf/logback.xml"));
        String json = sample.replace("<appender-ref ref=\"access-file\"/>", "<appender-ref ref=\"access-json-file\"/>");
        assertTrue(!json.equals(sample), "conf/logback.xml no longer has the line its comment says to change");
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        try {
            configure(context, json, logs);
            new LoggerAccessLog().log("192.0.2.7", "GET", "/a?b=1", 200, 512, 2_500_000, "web", "stable", "app1", "req-1");
            context.stop(); // drains the async appender and flushes the file
            List<String> lines = Files.readAllLines(logs.resolve("access.json"));
            assertEquals(1, lines.size(), "one line per request: " + lines);
            JsonNode line = new ObjectMapper().readTree(lines.get(0));

            assertEquals("192.0.2.7", line.path("client.ip").asText());
            assertEquals("GET", line.path("http.request.method").asText());
            assertEquals("/a?b=1", line.path("url.original").asText());
            assertEquals(200, line.path("http.response.status_code").asInt());
            assertTrue(line.path("http.response.status_code").isNumber(), "a number, as ECS types it");
            assertEquals(512, line.path("http.response.body.bytes").asLong());
            assertEquals(2_500_000, line.path("event.duration").asLong(), "nanoseconds, as ECS wants");
            assertEquals("req-1", line.path("http.request.id").asText());
            assertEquals("stable", line.path("turnout.pool").asText());
            assertEquals("INFO", line.path("log.level").asText());
            assertEquals("turnout.access", line.path("log.logger").asText());
            assertTrue(line.has("@timestamp") && line.has("message"), line.toString());
            assertTrue(!line.has("thread_name") && !line.has("@version"), "dropped fields are dropped: " + line);
        } finally {
            context.reset();
            new ContextInitializer(context).autoConfig();
        }
    }

    private static void configure(LoggerContext context, String xml, Path logs) throws JoranException {
        context.reset();
        context.putProperty("LOG_DIR", logs.toString());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }
}
