package dev.turnout.admin;

import static dev.turnout.admin.AdminHarness.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code GET /}: the status page's shell and files, served from the jar, with no data in them. */
class StatusPageTest {

    private static final String TOKEN = "page-Token";
    /** Names and addresses of the fake fleet: none may appear in what is served without the token. */
    private static final List<String> FLEET = List.of("app1", "app2", "c1", "127.0.0.1:9001", "weighted-round-robin");

    @Test
    void theRootIsTheHtmlPageThatLoadsItsOwnScriptAndStyles() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            HttpResponse<String> page = admin.get("/");

            assertEquals(200, page.statusCode(), page::body);
            assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
            assertTrue(page.body().startsWith("<!doctype html>"), page::body);
            assertTrue(page.body().contains("<script src=\"status.js\""), page::body);
            assertTrue(page.body().contains("<link rel=\"stylesheet\" href=\"status.css\">"), page::body);
            assertFalse(page.body().contains("http://") || page.body().contains("https://"), "nothing from elsewhere");
            assertEquals("no-store", page.headers().firstValue("Cache-Control").orElse(""));
        }
    }

    @Test
    void itsScriptAndStylesAreServedWithTheirTypes() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            HttpResponse<String> script = admin.get("/status.js");
            HttpResponse<String> styles = admin.get("/status.css");

            assertEquals(200, script.statusCode());
            assertEquals("text/javascript; charset=utf-8", script.headers().firstValue("Content-Type").orElse(""));
            assertTrue(script.body().contains("api/v1/summary"), "the page reads the summary");
            assertEquals(200, styles.statusCode());
            assertEquals("text/css; charset=utf-8", styles.headers().firstValue("Content-Type").orElse(""));
        }
    }

    @Test
    void noOtherSiteMayFrameOrFeedThePage() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            HttpResponse<String> page = admin.get("/");

            String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
            assertTrue(policy.contains("frame-ancestors 'none'"), policy);
            assertTrue(policy.contains("script-src 'self'"), policy);
            assertTrue(policy.contains("connect-src 'self'"), policy);
            assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
        }
    }

    @Test
    void withATokenSetThePageIsServedWithoutItAndHoldsNoData() throws Exception {
        try (AdminHarness admin = AdminHarness.start(TOKEN, null)) {
            for (String file : List.of("/", "/status.js", "/status.css")) {
                HttpResponse<String> response = admin.send("GET", file, null, null);

                assertEquals(200, response.statusCode(), file);
                for (String name : FLEET) {
                    assertFalse(response.body().contains(name), file + " must not show " + name);
                }
            }
            assertError(401, admin.send("GET", "/api/v1/summary", null, null));
            assertEquals(List.of(), admin.control.calls());
        }
    }

    @Test
    void onlyGetServesIt() throws Exception {
        try (AdminHarness admin = AdminHarness.start()) {
            assertError(405, admin.post("/", "{}"));
            assertError(405, admin.delete("/status.js"));
            assertError(404, admin.get("/status.html"));
            assertError(404, admin.get("/status/status.js"));
        }
    }
}
