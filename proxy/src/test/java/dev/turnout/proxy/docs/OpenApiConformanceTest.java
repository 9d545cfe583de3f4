package dev.turnout.proxy.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.turnout.admin.AdminServer;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.TestProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/admin-api.openapi.yaml} against a running Turnout: the document describes exactly the paths and
 * methods of the admin server's route table, and each documented call, made with the document's own examples,
 * answers with a status the document lists and a body its schema describes (every field of it).
 */
class OpenApiConformanceTest {

    private static final String TOKEN = "openapi-Token-7";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** Changes first, so that every read then finds something to show; removals last. */
    private static final List<String> METHOD_ORDER = List.of("put", "post", "get", "delete");

    private static JsonNode document;

    @BeforeAll
    static void read() throws Exception {
        document = new ObjectMapper(new YAMLFactory()).readTree(ReferenceDocs.read("admin-api.openapi.yaml"));
    }

    private static Map<String, Set<String>> documented() {
        Map<String, Set<String>> paths = new LinkedHashMap<>();
        document.path("paths").fields().forEachRemaining(path -> {
            Set<String> methods = new LinkedHashSet<>();
            path.getValue().fieldNames().forEachRemaining(name -> {
                if (METHOD_ORDER.contains(name)) {
                    methods.add(name.toUpperCase());
                }
            });
            paths.put(path.getKey(), methods);
        });
        return paths;
    }

    @Test
    void everyPathAndMethodTheServerServesIsDocumented() {
        Set<String> served = new TreeSet<>();
        AdminServer.endpoints().forEach((path, methods) -> methods.forEach(method -> served.add(method + " " + path)));
        Set<String> described = new TreeSet<>();
        documented().forEach((path, methods) -> methods.forEach(method -> described.add(method + " " + path)));

        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(described);
        assertTrue(undocumented.isEmpty(), "docs/admin-api.openapi.yaml lacks " + undocumented);
        Set<String> unserved = new TreeSet<>(described);
        unserved.removeAll(served);
        assertTrue(unserved.isEmpty(), "docs/admin-api.openapi.yaml documents calls the admin server does not serve: "
                + unserved);
    }

    @Test
    void everyDocumentedCallAnswersAsDocumented() throws Exception {
        SchemaChecker schemas = new SchemaChecker(document);
        List<String> wrong = new ArrayList<>();
        try (FakeBackend app1 = FakeBackend.start();
                FakeBackend app2 = FakeBackend.start();
                FakeBackend c1 = FakeBackend.start();
                Turnout proxy = TestProxy.start("admin { listen = \"127.0.0.1:0\", token = \"" + TOKEN + "\" }\n"
                        + "pools {\n"
                        + "  stable { health-check { path = \"/health\" }, backends = [ " + TestProxy.backend("app1", app1, 1)
                        + ", " + TestProxy.backend("app2", app2, 1) + " ] }\n"
                        + "  canary { backends = [ " + TestProxy.backend("c1", c1, 1) + " ] }\n"
                        + "}\n"
                        + "routes = [ { name = web, split { stable = 100, canary = 0 }, rate-limit { rate = 1000/s },\n"
                        + "  response-headers { remove = [Server] } } ]");
                RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 5; i++) {
                client.get("any.test", "/warm" + i);
            }
            for (String method : METHOD_ORDER) {
                for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields(); paths.hasNext();) {
                    Map.Entry<String, JsonNode> path = paths.next();
                    JsonNode operation = path.getValue().get(method);
                    if (operation != null) {
                        call(proxy, schemas, path.getKey(), path.getValue(), method, operation, TOKEN, wrong);
                        if (path.getKey().startsWith("/api/")) {
                            call(proxy, schemas, path.getKey(), path.getValue(), method, operation, null, wrong);
                        }
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), "the admin server does not answer as docs/admin-api.openapi.yaml says:\n  "
                + String.join("\n  ", wrong));
    }

    /** Makes one documented call with the document's examples; without a token, expects the documented 401. */
    private static void call(Turnout proxy, SchemaChecker schemas, String template, JsonNode pathItem, String method,
            JsonNode operation, String token, List<String> wrong) throws Exception {
        String path = template;
        for (JsonNode parameter : pathItem.path("parameters")) {
            JsonNode resolved = schemas.resolve(parameter);
            path = path.replace("{" + resolved.path("name").asText() + "}", resolved.path("example").asText());
        }
        JsonNode example = operation.path("requestBody").path("content").path("application/json").get("example");
        String what = method.toUpperCase() + " " + path + (token == null ? " without a token" : "");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort()
                + path)).method(method.toUpperCase(), example == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(example)));
        if (example != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        String status = String.valueOf(response.statusCode());
        if (token == null && !status.equals("401")) {
            wrong.add(what + ": " + status + " instead of 401");
        }
        JsonNode documentedAnswer = operation.path("responses").get(status);
        if (documentedAnswer == null) {
            wrong.add(what + ": " + status + " is not a documented answer (" + response.body() + ")");
            return;
        }
        JsonNode content = schemas.resolve(documentedAnswer).path("content");
        String type = response.headers().firstValue("Content-Type").orElse("");
        String mediaType = type.contains(";") ? type.substring(0, type.indexOf(';')).trim() : type;
        JsonNode media = content.get(mediaType);
        if (media == null) {
            wrong.add(what + ": " + status + " came as " + type + ", documented as " + content.properties().stream()
                    .map(Map.Entry::getKey).toList());
        } else if (mediaType.equals("application/json")) {
            schemas.mismatches(JSON.readTree(response.body()), media.path("schema"))
                    .forEach(mismatch -> wrong.add(what + ": " + status + " " + mismatch));
        }
    }
}
