package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertError;
import static dev.turnout.admin.AdminHarness.assertJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One {@code turnout.audit} line per accepted change (who, what, before, after); none for a refused one. */
class AdminAuditTest {

    /** {@code <ip>:<port> <what>: before=<json> after=<json>}. */
    private static final Pattern LINE = Pattern.compile("^127\\.0\\.0\\.1:(\\d{1,5}) (.+?): before=(.*) after=(.*)$");

    private AdminHarness admin;
    private AuditCapture audit;

    @BeforeEach
    void start() throws IOException {
        admin = AdminHarness.start();
        audit = new AuditCapture();
    }

    @AfterEach
    void stop() {
        audit.close();
        admin.close();
    }

    @Test
    void addingABackendIsAudited() throws Exception {
        assertJson(201, admin.post("/api/v1/pools/stable/backends",
                "{\"id\":\"app3\",\"address\":\"127.0.0.1:9003\",\"weight\":4}"));

        Entry entry = onlyEntry();
        assertTrue(entry.what().contains("stable/app3"), entry.what());
        assertTrue(entry.before().isNull(), "nothing before an add: " + entry.line());
        assertEquals("app3", entry.after().path("id").asText(), entry.line());
        assertEquals(4, entry.after().path("weight").intValue(), entry.line());
    }

    @Test
    void removingABackendIsAudited() throws Exception {
        assertJson(200, admin.delete("/api/v1/pools/stable/backends/app2"));

        Entry entry = onlyEntry();
        assertTrue(entry.what().contains("stable/app2"), entry.what());
        assertEquals("app2", entry.before().path("id").asText(), entry.line());
        assertTrue(entry.after().isNull(), "nothing after a removal: " + entry.line());
    }

    @Test
    void aForcedRemovalSaysSo() throws Exception {
        admin.control.setInflight("stable", "app2", 4);

        assertJson(200, admin.delete("/api/v1/pools/stable/backends/app2?force=true"));

        Entry entry = onlyEntry();
        assertTrue(entry.what().contains("force"), entry.what());
        assertEquals(4, entry.before().path("inflight").intValue(), entry.line());
    }

    @Test
    void drainingIsAudited() throws Exception {
        assertJson(200, admin.post("/api/v1/pools/stable/backends/app1/drain", null));

        Entry entry = onlyEntry();
        assertTrue(entry.what().contains("drain") && entry.what().contains("stable/app1"), entry.what());
        assertEquals("active", entry.before().path("state").asText(), entry.line());
        assertEquals("drained", entry.after().path("state").asText(), entry.line());
    }

    @Test
    void aDrainThatWaitsIsAuditedOnceWhetherItEndsIdleOrOutOfTime() throws Exception {
        admin.control.setInflight("stable", "app1", 2);
        admin.control.setInflight("stable", "app2", 2);

        CompletableFuture<HttpResponse<String>> pending = admin.sendAsync("POST",
                "/api/v1/pools/stable/backends/app1/drain?wait=30s", null);
        assertTrue(admin.control.awaitWhenIdleCalls(1));
        admin.control.finishInflight("stable", "app1");
        assertJson(200, pending.get());
        assertJson(202, admin.post("/api/v1/pools/stable/backends/app2/drain?wait=100ms", null));

        List<String> lines = audit.lines();
        assertEquals(2, lines.size(), lines::toString);
        assertEquals("draining", parse(lines.get(0)).after().path("state").asText(), lines.get(0));
        assertTrue(parse(lines.get(1)).what().contains("stable/app2"), lines.get(1));
    }

    @Test
    void enablingIsAudited() throws Exception {
        admin.control.drain("stable", "app1");

        assertJson(200, admin.post("/api/v1/pools/stable/backends/app1/enable", null));

        Entry entry = onlyEntry();
        assertTrue(entry.what().contains("enable") && entry.what().contains("stable/app1"), entry.what());
        assertEquals("drained", entry.before().path("state").asText(), entry.line());
        assertEquals("active", entry.after().path("state").asText(), entry.line());
    }

    @Test
    void aWeightChangeIsAudited() throws Exception {
        assertJson(200, admin.put("/api/v1/pools/stable/backends/app1/weight", "{\"weight\":3}"));

        Entry entry = onlyEntry();
        assertTrue(entry.what().contains("weight") && entry.what().contains("stable/app1"), entry.what());
        assertEquals(1, entry.before().path("weight").intValue(), entry.line());
        assertEquals(3, entry.after().path("weight").intValue(), entry.line());
    }

    @Test
    void aSplitChangeIsAudited() throws Exception {
        assertJson(200, admin.put("/api/v1/routes/web/split", "{\"stable\":50,\"canary\":50}"));

        Entry entry = onlyEntry();
        assertTrue(entry.what().contains("web"), entry.what());
        assertEquals(95, entry.before().path("split").path("stable").intValue(), entry.line());
        assertEquals(50, entry.after().path("split").path("stable").intValue(), entry.line());
        assertEquals(50, entry.after().path("split").path("canary").intValue(), entry.line());
    }

    @Test
    void refusedChangesAreNotAudited() {
        admin.control.setInflight("stable", "app1", 1);

        assertError(400, admin.post("/api/v1/pools/stable/backends", "{\"id\":\"app3\"}"));
        assertError(400, admin.put("/api/v1/pools/stable/backends/app1/weight", "{\"weight\":\"3\"}"));
        assertError(400, admin.put("/api/v1/routes/web/split", "{\"stable\":90,\"canary\":5}"));
        assertError(400, admin.post("/api/v1/pools/stable/backends/app1/drain?wait=abc", null));
        assertError(400, admin.delete("/api/v1/pools/stable/backends/app1?force=maybe"));
        assertError(404, admin.post("/api/v1/pools/stable/backends/nope/enable", null));
        assertError(404, admin.post("/api/v1/pools/nope/backends/app1/drain", null));
        assertError(409, admin.delete("/api/v1/pools/stable/backends/app1"));
        assertError(409, admin.post("/api/v1/pools/stable/backends", "{\"id\":\"app2\",\"address\":\"127.0.0.1:9\"}"));
        assertError(405, admin.send("GET", "/api/v1/pools/stable/backends/app1/enable", null));

        assertEquals(List.of(), audit.lines());
    }

    @Test
    void readsAreNotAudited() {
        assertJson(200, admin.get("/api/v1/pools"));
        assertJson(200, admin.get("/api/v1/pools/stable/backends/app1"));
        assertJson(200, admin.get("/api/v1/routes"));
        assertJson(200, admin.get("/healthz"));

        assertEquals(List.of(), audit.lines());
    }

    // ---- helpers -----------------------------------------------------------------------------

    private record Entry(String line, String what, JsonNode before, JsonNode after) {
    }

    private Entry onlyEntry() throws IOException {
        List<String> lines = audit.lines();
        assertEquals(1, lines.size(), () -> "exactly one audit line: " + lines);
        return parse(lines.get(0));
    }

    /** Checks the line names the caller's address and parses its before and after as JSON. */
    private static Entry parse(String line) throws IOException {
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), () -> "audit line names the caller's address, the change, before and after: " + line);
        int port = Integer.parseInt(m.group(1));
        assertTrue(port > 0 && port < 65536, line);
        return new Entry(line, m.group(2), AdminHarness.JSON.readTree(m.group(3)), AdminHarness.JSON.readTree(m.group(4)));
    }
}
