package dev.turnout.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An admin answer: a status and a JSON (or text) body. */
record AdminResponse(int status, String contentType, byte[] body) {

    private static final Logger LOG = LoggerFactory.getLogger(AdminResponse.class);
    // Strict: '{"weight":3}{"weight":4}' is refused, not read as its first value.
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /**
     * The status page runs only its own files and talks only to this listener, and no other site may
     * frame it (its buttons drain backends). Harmless on the JSON and text answers.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    static AdminResponse json(int status, Object value) {
        try {
            return new AdminResponse(status, "application/json", JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + value.getClass(), e);
        }
    }

    static AdminResponse error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    static AdminResponse text(int status, String contentType, String body) {
        return new AdminResponse(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    void send(HttpExchange exchange) {
        try {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.getResponseHeaders().set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (IOException e) {
            LOG.debug("admin client went away before its answer", e);
        } finally {
            exchange.close();
        }
    }
}
