package dev.turnout.proxy.testing;

import dev.turnout.proxy.Turnout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Calls to a running Turnout's admin API, as a deploy script makes them: JSON bodies, no token. */
public final class AdminCalls {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private AdminCalls() {
    }

    /** {@code body} null sends none; failures to connect or read are unchecked, as a test has no use for them. */
    public static HttpResponse<String> send(Turnout turnout, String method, String path, String body) {
        return send(turnout, method, path, body, null);
    }

    /** As {@link #send(Turnout, String, String, String)}, with a bearer token unless {@code token} is null. */
    public static HttpResponse<String> send(Turnout turnout, String method, String path, String body, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + turnout.adminAddress().getPort()
                        + path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
