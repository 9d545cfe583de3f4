package dev.turnout.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The status page's files, shipped in the jar and served at {@code /}, {@code /status.css} and
 * {@code /status.js} without a token: they hold no data. The page reads everything from the API,
 * sending the token the operator types in.
 */
final class StatusPage {

    private static final Map<List<String>, AdminResponse> FILES = Map.of(
            List.of(), load("index.html", "text/html; charset=utf-8"),
            List.of("status.css"), load("status.css", "text/css; charset=utf-8"),
            List.of("status.js"), load("status.js", "text/javascript; charset=utf-8"));

    private StatusPage() {
    }

    /** The file at these path segments, or null when the path is not one of the page's. */
    static AdminResponse file(List<String> segments) {
        return FILES.get(segments);
    }

    private static AdminResponse load(String name, String contentType) {
        try (InputStream in = StatusPage.class.getResourceAsStream("status/" + name)) {
            if (in == null) {
                throw new IllegalStateException("status page file " + name + " is missing from the jar");
            }
            return new AdminResponse(200, contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read status page file " + name, e);
        }
    }
}
