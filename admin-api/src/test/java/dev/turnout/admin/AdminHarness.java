package dev.turnout.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A started {@link AdminServer} on 127.0.0.1, port 0, over a {@link FakeControlPlane}, with an HTTP
 * client that sends the right bearer token by default (when one is configured).
 */
final class AdminHarness implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Guards against a hang only: a correct server answers each call long before this. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(30);

    final FakeControlPlane control;
    final AdminServer server;
    private final String token;
    /** A client per server, so no pooled connection outlives the server it was made to. */
    private final HttpClient client;

    private AdminHarness(FakeControlPlane control, String token, AdminSettings settings, Supplier<String> metrics)
            throws IOException {
        this.control = control;
        this.token = token;
        this.server = AdminServer.start(settings, control, metrics);
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(HANG_GUARD)
                .build();
    }

    static AdminHarness start() throws IOException {
        return new AdminHarness(FakeControlPlane.standard(), null, AdminSettings.plain("127.0.0.1", 0), null);
    }

    static AdminHarness start(String token, Supplier<String> metrics) throws IOException {
        AdminSettings settings = AdminSettings.plain("127.0.0.1", 0);
        if (token != null) {
            settings = settings.withTokens(List.of(AdminToken.of("admin", AdminToken.Role.OPERATE, token)));
        }
        return new AdminHarness(FakeControlPlane.standard(), token, settings, metrics);
    }

    /** A listener set up by {@code setup} from plain HTTP on 127.0.0.1; its client sends no token by default. */
    static AdminHarness start(UnaryOperator<AdminSettings> setup) throws IOException {
        return new AdminHarness(FakeControlPlane.standard(), null, setup.apply(AdminSettings.plain("127.0.0.1", 0)), null);
    }

    @Override
    public void close() {
        server.close();
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.address().getPort() + pathAndQuery);
    }

    /** The header this harness sends by default: the right bearer token, or none without one. */
    String defaultAuthorization() {
        return token == null ? null : "Bearer " + token;
    }

    HttpRequest request(String method, String pathAndQuery, String body, String authorization) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(pathAndQuery))
                .timeout(HANG_GUARD)
                .method(method, body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            builder.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder.build();
    }

    HttpResponse<String> send(String method, String pathAndQuery, String body, String authorization) {
        try {
            return client.send(request(method, pathAndQuery, body, authorization), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + pathAndQuery + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    HttpResponse<String> send(String method, String pathAndQuery, String body) {
        return send(method, pathAndQuery, body, defaultAuthorization());
    }

    HttpResponse<String> get(String pathAndQuery) {
        return send("GET", pathAndQuery, null);
    }

    HttpResponse<String> post(String pathAndQuery, String body) {
        return send("POST", pathAndQuery, body);
    }

    HttpResponse<String> put(String pathAndQuery, String body) {
        return send("PUT", pathAndQuery, body);
    }

    HttpResponse<String> delete(String pathAndQuery) {
        return send("DELETE", pathAndQuery, null);
    }

    CompletableFuture<HttpResponse<String>> sendAsync(String method, String pathAndQuery, String body) {
        return client.sendAsync(request(method, pathAndQuery, body, defaultAuthorization()),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) {
        String type = response.headers().firstValue("Content-Type").orElse("");
        assertTrue(type.startsWith("application/json"), "Content-Type of " + response.uri() + ": " + type);
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON from " + response.uri() + ": " + response.body(), e);
        }
    }

    /** Asserts the status and JSON body, and returns the body. */
    static JsonNode assertJson(int status, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), () -> response.request().method() + " " + response.uri()
                + " answered " + response.statusCode() + ": " + response.body());
        return json(response);
    }

    /** Asserts an error answer: the status and {@code {"error":"<non-blank text>"}}. */
    static JsonNode assertError(int status, HttpResponse<String> response) {
        JsonNode body = assertJson(status, response);
        assertTrue(body.isObject(), "error body is an object: " + response.body());
        assertTrue(body.path("error").isTextual(), "error body names the error: " + response.body());
        assertFalse(body.path("error").asText().isBlank(), "error text is not blank: " + response.body());
        return body;
    }

    /** Asserts that a backend in a JSON answer has these values. */
    static void assertBackend(JsonNode backend, String id, String address, int weight, String state, String health,
            int inflight) {
        assertEquals(id, backend.path("id").asText(), backend::toString);
        assertEquals(address, backend.path("address").asText(), backend::toString);
        assertTrue(backend.path("weight").isInt(), backend::toString);
        assertEquals(weight, backend.path("weight").intValue(), backend::toString);
        assertEquals(state, backend.path("state").asText(), backend::toString);
        assertEquals(health, backend.path("health").asText(), backend::toString);
        assertTrue(backend.path("inflight").isInt(), backend::toString);
        assertEquals(inflight, backend.path("inflight").intValue(), backend::toString);
    }
}
