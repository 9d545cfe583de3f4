package dev.turnout.proxy.accesslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class LineFormatTest {

    private static final long AT = Instant.parse("2026-12-06T23:50:52.042Z").toEpochMilli();

    private static String line(LineFormat format, String uri, String route) {
        byte[] out = new byte[format.maxLength("192.0.2.7", "GET", uri, route, "stable", "app1", "req-1")];
        int end = format.write(out, 0, new LineFormat.Clock(ZoneOffset.UTC), AT, "192.0.2.7", "GET", uri, 200, 512,
                2_500_000, route, "stable", "app1", "req-1");
        return new String(out, 0, end, StandardCharsets.UTF_8);
    }

    @Test
    void textIsLogbacksPatternWithTheTimestampFirst() {
        assertEquals("2026-12-06 23:50:52,042 192.0.2.7 \"GET /a?b=1\" 200 512 2.500ms route=web pool=stable backend=app1"
                + " id=req-1\n", line(LineFormat.TEXT, "/a?b=1", "web"));
    }

    @Test
    void textEscapesWhatCouldForgeOrBreakALineAsNginxDoes() {
        String text = line(LineFormat.TEXT, "/x\"y\\z\n\u00e9\u007f", "web");
        assertTrue(text.contains("\"GET /x\\x22y\\x5cz\\x0a\\xe9\\x7f\" 200"), text);
        assertEquals(1, text.split("\n", -1).length - 1, "one line: " + text);
    }

    @Test
    void jsonCarriesTheEcsFieldsAndRoundTripsAnyTarget() throws Exception {
        String uri = "/x\"y\\z\n\u00e9\t";
        String json = line(LineFormat.JSON, uri, "r\u00fcckseite-\u4e2d");
        assertTrue(json.endsWith("}\n") && json.indexOf('\n') == json.length() - 1, json);
        JsonNode line = new ObjectMapper().readTree(json);
        assertEquals("2026-12-06T23:50:52.042Z", line.path("@timestamp").asText());
        assertEquals("INFO", line.path("log.level").asText());
        assertEquals("turnout.access", line.path("log.logger").asText());
        assertEquals("192.0.2.7", line.path("client.ip").asText());
        assertEquals("GET", line.path("http.request.method").asText());
        assertEquals(uri, line.path("url.original").asText());
        assertEquals(200, line.path("http.response.status_code").asInt());
        assertTrue(line.path("http.response.status_code").isNumber());
        assertEquals(512, line.path("http.response.body.bytes").asLong());
        assertEquals(2_500_000, line.path("event.duration").asLong());
        assertEquals("req-1", line.path("http.request.id").asText());
        assertEquals("r\u00fcckseite-\u4e2d", line.path("turnout.route").asText());
        assertEquals("stable", line.path("turnout.pool").asText());
        assertEquals("app1", line.path("turnout.backend").asText());
        assertEquals("192.0.2.7 \"GET /x\\x22y\\x5cz\\x0a\\xe9\\x09\" 200 512 2.500ms route=r\\xfcckseite-\u4e2d pool=stable"
                + " backend=app1 id=req-1", line.path("message").asText(), "the text line, without its timestamp");
    }

    @Test
    void theBoundHoldsForTheWorstCaseCharacters() {
        String worst = "\"".repeat(50) + "\u0001".repeat(50) + "\u00ff".repeat(50);
        for (LineFormat format : LineFormat.values()) {
            byte[] out = new byte[format.maxLength(worst, worst, worst, worst, worst, worst, worst)];
            int end = format.write(out, 0, new LineFormat.Clock(ZoneOffset.UTC), AT, worst, worst, worst, 599,
                    Long.MAX_VALUE, Long.MAX_VALUE, worst, worst, worst, worst);
            assertTrue(end <= out.length, format + ": " + end + " > " + out.length);
        }
    }

    @Test
    void millisecondsAndSecondsRollOver() {
        LineFormat.Clock clock = new LineFormat.Clock(ZoneOffset.UTC);
        byte[] out = new byte[64];
        int end = clock.text(out, 0, AT);
        assertEquals("2026-12-06 23:50:52,042", new String(out, 0, end, StandardCharsets.US_ASCII));
        end = clock.json(out, 0, AT + 8_000);
        assertEquals("2026-12-06T23:51:00.042Z", new String(out, 0, end, StandardCharsets.US_ASCII));
    }
}
