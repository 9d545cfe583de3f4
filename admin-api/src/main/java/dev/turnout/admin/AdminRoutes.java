package dev.turnout.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's calls, each mapped onto {@link ControlPlane} by one route table ({@link #endpoints}, which
 * {@code docs/admin-api.openapi.yaml} is checked against). Every accepted change writes one line to the
 * {@code turnout.audit} logger: who, what, before, after.
 */
final class AdminRoutes {

    private static final Logger AUDIT = LoggerFactory.getLogger("turnout.audit");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)?");
    private static final Duration MAX_WAIT = Duration.ofHours(1);
    private static final Duration MIN_ROLLOUT_INTERVAL = Duration.ofMillis(100);

    private final ControlPlane control;
    private final ScheduledExecutorService timers;
    private final Supplier<String> metrics;

    AdminRoutes(ControlPlane control, ScheduledExecutorService timers, Supplier<String> metrics) {
        this.control = control;
        this.timers = timers;
        this.metrics = metrics;
    }

    /** One call's handler: answers through {@code reply}, now or later, exactly once. */
    private interface Handler {
        void handle(AdminRoutes routes, Call call, Consumer<AdminResponse> reply);
    }

    /** A handler that answers at once. */
    private static Handler now(BiFunction<AdminRoutes, Call, AdminResponse> answer) {
        return (routes, call, reply) -> reply.accept(answer.apply(routes, call));
    }

    /** A request with the path's {@code {name}} segments it matched. */
    private record Call(AdminRequest request, Map<String, String> params) {

        String param(String name) {
            return params.get(name);
        }
    }

    /**
     * A path the listener serves, as a template ({@code {name}} matches any one segment, as in
     * {@code docs/admin-api.openapi.yaml}), and its handler per method.
     */
    private record Endpoint(String template, List<String> segments, Map<String, Handler> methods) {

        static Endpoint of(String template, Object... methodsAndHandlers) {
            Map<String, Handler> methods = new LinkedHashMap<>();
            for (int i = 0; i < methodsAndHandlers.length; i += 2) {
                methods.put((String) methodsAndHandlers[i], (Handler) methodsAndHandlers[i + 1]);
            }
            List<String> segments = template.equals("/") ? List.of() : List.of(template.substring(1).split("/"));
            return new Endpoint(template, segments, Collections.unmodifiableMap(methods));
        }

        /** The values of the template's {@code {name}} segments, or null when the path is not this one. */
        Map<String, String> match(List<String> path) {
            if (path.size() != segments.size()) {
                return null;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < path.size(); i++) {
                String segment = segments.get(i);
                if (segment.startsWith("{")) {
                    params.put(segment.substring(1, segment.length() - 1), path.get(i));
                } else if (!segment.equals(path.get(i))) {
                    return null;
                }
            }
            return params;
        }
    }

    private static final String BACKEND = "/api/v1/pools/{pool}/backends/{id}";

    /** The route table: every path the admin listener serves, and nothing else. */
    private static final List<Endpoint> ENDPOINTS = List.of(
            Endpoint.of("/healthz", "GET", now((r, c) -> AdminResponse.json(200, Map.of("status", "ok")))),
            Endpoint.of("/metrics", "GET", now((r, c) -> r.metrics())),
            Endpoint.of("/", "GET", now((r, c) -> StatusPage.file(c.request().segments()))),
            Endpoint.of("/status.css", "GET", now((r, c) -> StatusPage.file(c.request().segments()))),
            Endpoint.of("/status.js", "GET", now((r, c) -> StatusPage.file(c.request().segments()))),
            Endpoint.of("/api/v1/summary", "GET", now((r, c) -> AdminResponse.json(200,
                    StatusSummary.of(r.control, Instant.now())))),
            Endpoint.of("/api/v1/history", "GET", now((r, c) -> AdminResponse.json(200, r.control.history()))),
            Endpoint.of("/api/v1/cache/purge", "POST", now((r, c) -> r.purge(c.request()))),
            Endpoint.of("/api/v1/config/reload", "POST", now((r, c) -> r.reload(c.request()))),
            Endpoint.of("/api/v1/pools", "GET", now((r, c) -> AdminResponse.json(200, Map.of("pools", r.control.pools())))),
            Endpoint.of("/api/v1/pools/{pool}", "GET", now((r, c) -> AdminResponse.json(200, r.control.pool(c.param("pool"))))),
            Endpoint.of("/api/v1/pools/{pool}/backends",
                    "GET", now((r, c) -> AdminResponse.json(200, r.control.pool(c.param("pool")).backends())),
                    "POST", now((r, c) -> r.addBackend(c.request(), c.param("pool")))),
            Endpoint.of(BACKEND,
                    "GET", now((r, c) -> AdminResponse.json(200, r.control.backend(c.param("pool"), c.param("id")))),
                    "DELETE", now(AdminRoutes::removeBackend)),
            Endpoint.of(BACKEND + "/drain", "POST", (Handler) (r, c, reply) -> r.drain(c.request(), c.param("pool"),
                    c.param("id"), reply)),
            Endpoint.of(BACKEND + "/enable", "POST", now((r, c) -> audited(c.request(), "enable backend " + c.param("pool")
                    + "/" + c.param("id"), 200, r.control.enable(c.param("pool"), c.param("id"))))),
            Endpoint.of(BACKEND + "/weight", "PUT", now(AdminRoutes::setWeight)),
            Endpoint.of("/api/v1/routes", "GET", now((r, c) -> AdminResponse.json(200, Map.of("routes", r.control.routes())))),
            Endpoint.of("/api/v1/routes/{route}", "GET", now((r, c) -> r.route(c.param("route")))),
            Endpoint.of("/api/v1/routes/{route}/split", "PUT", now(AdminRoutes::setSplit)),
            Endpoint.of("/api/v1/routes/{route}/rollout",
                    "GET", now((r, c) -> AdminResponse.json(200, r.control.rollout(c.param("route")))),
                    "POST", now(AdminRoutes::startRollout),
                    "DELETE", now(AdminRoutes::abortRollout)));

    /** Every path template the listener serves, with its methods, in the route table's order. */
    static Map<String, List<String>> endpoints() {
        Map<String, List<String>> endpoints = new LinkedHashMap<>();
        ENDPOINTS.forEach(endpoint -> endpoints.put(endpoint.template(), List.copyOf(endpoint.methods().keySet())));
        return Collections.unmodifiableMap(endpoints);
    }

    /** Answers through {@code reply}, now or (for a drain that waits) later, exactly once. */
    void dispatch(AdminRequest request, Consumer<AdminResponse> reply) {
        try {
            route(request, reply);
        } catch (ControlException e) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", e.getMessage());
            if (e.current() != null) {
                body.put("current", e.current());
            }
            if (e.errors() != null) {
                body.put("errors", e.errors());
            }
            reply.accept(AdminResponse.json(e.kind().status(), body));
        }
    }

    private void route(AdminRequest request, Consumer<AdminResponse> reply) {
        for (Endpoint endpoint : ENDPOINTS) {
            Map<String, String> params = endpoint.match(request.segments());
            if (params != null) {
                Handler handler = endpoint.methods().get(request.method());
                if (handler == null) {
                    reply.accept(AdminResponse.error(405, "method " + request.method() + " not allowed here (allowed: "
                            + String.join(", ", endpoint.methods().keySet()) + ")"));
                } else {
                    handler.handle(this, new Call(request, params), reply);
                }
                return;
            }
        }
        reply.accept(AdminResponse.error(404, "no such endpoint: " + request.path()));
    }

    private AdminResponse metrics() {
        if (metrics == null) {
            throw ControlException.notFound("no metrics: turnout.metrics.enabled is false");
        }
        return AdminResponse.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
    }

    private AdminResponse route(String route) {
        return AdminResponse.json(200, control.routes().stream().filter(r -> r.name().equals(route)).findFirst()
                .orElseThrow(() -> ControlException.notFound("no route named " + route)));
    }

    private AdminResponse removeBackend(Call call) {
        String pool = call.param("pool");
        String id = call.param("id");
        boolean force = flag(call.request(), "force");
        return audited(call.request(), "remove backend " + pool + "/" + id + (force ? " (forced)" : ""), 200,
                control.removeBackend(pool, id, force));
    }

    private AdminResponse setWeight(Call call) {
        String pool = call.param("pool");
        String id = call.param("id");
        int weight = intField(onlyFields(object(call.request()), Set.of("weight"), Set.of("weight")), "weight");
        return audited(call.request(), "set weight of " + pool + "/" + id + " to " + weight, 200,
                control.setWeight(pool, id, weight));
    }

    private AdminResponse addBackend(AdminRequest request, String pool) {
        JsonNode body = onlyFields(object(request), Set.of("id", "address", "weight"), Set.of("id", "address"));
        String id = textField(body, "id");
        String address = textField(body, "address");
        int weight = body.has("weight") ? intField(body, "weight") : 1;
        return audited(request, "add backend " + pool + "/" + id + " at " + address, 201,
                control.addBackend(pool, id, address, weight));
    }

    /**
     * Takes the backend out of rotation. With {@code wait}, answers 200 the moment nothing is in
     * flight on it or 202 with the count when the wait runs out; without, answers at once (200 if
     * already drained, 202 if requests are still finishing).
     */
    private void drain(AdminRequest request, String pool, String id, Consumer<AdminResponse> reply) {
        String waitParam = request.query("wait");
        Duration wait = waitParam == null ? Duration.ZERO : duration("wait", waitParam);
        Change<BackendView> change = control.drain(pool, id);
        AUDIT.info("{} drain backend {}/{}: before={} after={}", request.who(), pool, id,
                render(change.before()), render(change.after()));
        // With a wait, only whenIdle decides: in a fleet, the other instances' counts must be seen after the drain.
        if (wait.isZero()) {
            BackendView now = control.backend(pool, id);
            reply.accept(AdminResponse.json(now.inflight() == 0 ? 200 : 202, now));
            return;
        }
        AtomicBoolean answered = new AtomicBoolean();
        ScheduledFuture<?> timeout = timers.schedule(() -> {
            if (answered.compareAndSet(false, true)) {
                reply.accept(AdminResponse.json(202, currentOrGone(pool, id)));
            }
        }, wait.toMillis(), TimeUnit.MILLISECONDS);
        // The signal may fire on a data-plane event loop: answer from the admin timer thread instead.
        control.whenIdle(pool, id).thenRunAsync(() -> {
            if (answered.compareAndSet(false, true)) {
                timeout.cancel(false);
                reply.accept(AdminResponse.json(200, currentOrGone(pool, id)));
            }
        }, timers);
    }

    private Object currentOrGone(String pool, String id) {
        try {
            return control.backend(pool, id);
        } catch (ControlException gone) {
            return Map.of("error", gone.getMessage());
        }
    }

    /**
     * {@code {"prefix":"/static/"}} drops the answers under that path; {@code {}} drops them all;
     * {@code {"tags":["product-42"]}} drops the answers whose Surrogate-Key or Cache-Tag named one.
     */
    private AdminResponse purge(AdminRequest request) {
        JsonNode body = onlyFields(object(request), Set.of("prefix", "tags"), Set.of());
        if (body.has("tags")) {
            if (body.has("prefix")) {
                throw ControlException.badRequest("give prefix or tags, not both");
            }
            Set<String> tags = tags(body.get("tags"));
            int purged = control.purgeCacheTags(tags);
            AUDIT.info("{} purge cache tags {}: {} answers dropped", request.who(), tags, purged);
            return AdminResponse.json(200, Map.of("tags", tags, "purged", purged));
        }
        String prefix = body.has("prefix") ? textField(body, "prefix") : "";
        if (!prefix.isEmpty() && !prefix.startsWith("/")) {
            throw ControlException.badRequest("prefix \"" + prefix + "\" must start with /");
        }
        int purged = control.purgeCache(prefix);
        AUDIT.info("{} purge cache {}: {} answers dropped", request.who(), prefix.isEmpty() ? "(all)" : prefix, purged);
        return AdminResponse.json(200, Map.of("prefix", prefix, "purged", purged));
    }

    /**
     * Reloads the configuration. The audit line says what changed and, one line each, the runtime changes that
     * no longer fit and were dropped; a refused reload changed nothing, so it is not audited (the log says why).
     */
    private AdminResponse reload(AdminRequest request) {
        ReloadView reloaded = control.reloadConfiguration();
        AUDIT.info("{} reload configuration: {}", request.who(), reloaded.summary());
        reloaded.dropped().forEach(dropped -> AUDIT.info("{} reload configuration: dropped {}", request.who(), dropped));
        return AdminResponse.json(200, reloaded);
    }

    private static Set<String> tags(JsonNode node) {
        if (!node.isArray() || node.isEmpty()) {
            throw ControlException.badRequest("tags must be a non-empty list of strings");
        }
        Set<String> tags = new TreeSet<>();
        for (JsonNode tag : node) {
            if (!tag.isTextual() || tag.asText().isBlank() || tag.asText().chars().anyMatch(c -> c <= ' ' || c > '~')) {
                throw ControlException.badRequest("each tag must be a non-empty string of visible ASCII");
            }
            tags.add(tag.asText());
        }
        return tags;
    }

    private AdminResponse setSplit(Call call) {
        String route = call.param("route");
        JsonNode body = object(call.request());
        Map<String, Integer> split = new LinkedHashMap<>();
        for (Iterator<String> names = body.fieldNames(); names.hasNext();) {
            String pool = names.next();
            split.put(pool, intField(body, pool));
        }
        return audited(call.request(), "set split of route " + route + " to " + split, 200, control.setSplit(route, split));
    }

    private AdminResponse startRollout(Call call) {
        String route = call.param("route");
        RolloutPlan plan = rolloutPlan(object(call.request()));
        RolloutView started = control.startRollout(route, plan);
        AUDIT.info("{} start rollout on route {}: {}", call.request().who(), route, render(started));
        return AdminResponse.json(202, started);
    }

    private AdminResponse abortRollout(Call call) {
        String route = call.param("route");
        RolloutView aborted = control.abortRollout(route);
        AUDIT.info("{} abort rollout on route {}: split now {}", call.request().who(), route, aborted.split());
        return AdminResponse.json(200, aborted);
    }

    /** The rollout body; every field but {@code from} and {@code to} has SPEC's example as its default. */
    private static RolloutPlan rolloutPlan(JsonNode body) {
        onlyFields(body, Set.of("from", "to", "steps", "interval", "max-error-rate", "max-p95-ratio", "min-requests", "judge",
                "confidence", "max-latency-increase"), Set.of("from", "to"));
        String from = textField(body, "from");
        String to = textField(body, "to");
        if (from.equals(to)) {
            throw ControlException.badRequest("\"from\" and \"to\" must be different pools, both are " + from);
        }
        List<Integer> steps = new ArrayList<>();
        if (body.has("steps")) {
            JsonNode array = body.get("steps");
            if (!array.isArray() || array.isEmpty()) {
                throw ControlException.badRequest("\"steps\" must be a non-empty array of percentages");
            }
            for (JsonNode step : array) {
                if (!step.isIntegralNumber() || step.intValue() < 1 || step.intValue() > 100
                        || (!steps.isEmpty() && step.intValue() <= steps.get(steps.size() - 1))) {
                    throw ControlException.badRequest("\"steps\" " + array + ": each must be 1 to 100 and above the one before");
                }
                steps.add(step.intValue());
            }
        } else {
            steps.addAll(List.of(5, 25, 50, 100));
        }
        Duration interval = body.has("interval") ? duration("interval", textField(body, "interval")) : Duration.ofSeconds(30);
        if (interval.compareTo(MIN_ROLLOUT_INTERVAL) < 0) {
            throw ControlException.badRequest("interval " + body.get("interval") + " (expected: at least 100ms)");
        }
        double maxErrorRate = fraction(body, "max-error-rate", 0.02, 0, 1);
        double maxP95Ratio = fraction(body, "max-p95-ratio", 1.5, 1, 1000);
        long minRequests = 100;
        if (body.has("min-requests")) {
            minRequests = intField(body, "min-requests");
            if (minRequests < 1) {
                throw ControlException.badRequest("\"min-requests\" must be at least 1, not " + minRequests);
            }
        }
        String judge = body.has("judge") ? textField(body, "judge") : RolloutView.MANN_WHITNEY;
        if (!judge.equals(RolloutView.MANN_WHITNEY) && !judge.equals(RolloutView.THRESHOLD)) {
            throw ControlException.badRequest("unknown judge " + body.get("judge") + " (expected: \""
                    + RolloutView.MANN_WHITNEY + "\" or \"" + RolloutView.THRESHOLD + "\")");
        }
        double confidence = fraction(body, "confidence", RolloutView.DEFAULT_CONFIDENCE, 0, 1);
        if (confidence <= 0 || confidence >= 1) {
            throw ControlException.badRequest("\"confidence\" must be above 0 and below 1, not " + body.get("confidence"));
        }
        double maxLatencyIncrease = fraction(body, "max-latency-increase", RolloutView.DEFAULT_MAX_LATENCY_INCREASE, 0, 1000);
        return new RolloutPlan(from, to, steps, interval, maxErrorRate, maxP95Ratio, minRequests, judge, confidence,
                maxLatencyIncrease);
    }

    private static double fraction(JsonNode body, String name, double fallback, double min, double max) {
        if (!body.has(name)) {
            return fallback;
        }
        JsonNode value = body.get(name);
        if (!value.isNumber() || value.doubleValue() < min || value.doubleValue() > max) {
            throw ControlException.badRequest("\"" + name + "\" must be a number from " + min + " to " + max + ", not " + value);
        }
        return value.doubleValue();
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static AdminResponse audited(AdminRequest request, String what, int status, Change<?> change) {
        AUDIT.info("{} {}: before={} after={}", request.who(), what, render(change.before()), render(change.after()));
        return AdminResponse.json(status, change.after() == null ? change.before() : change.after());
    }

    private static String render(Object value) {
        try {
            return AdminResponse.JSON.writeValueAsString(value);
        } catch (IOException e) {
            return String.valueOf(value);
        }
    }

    private static JsonNode object(AdminRequest request) {
        if (request.body().length > 0 && !isJson(request.contentType())) {
            // Also what keeps a web page from driving the API: a browser cannot send JSON
            // cross-origin without a preflight, which this API never grants.
            throw ControlException.unsupportedMediaType("Content-Type must be application/json, not "
                    + (request.contentType() == null ? "missing" : request.contentType()));
        }
        JsonNode node;
        try {
            node = request.body().length == 0 ? null : AdminResponse.JSON.readTree(request.body());
        } catch (JsonProcessingException e) {
            throw ControlException.badRequest("body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ControlException.badRequest("body cannot be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ControlException.badRequest("body must be a JSON object");
        }
        return node;
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        return media.equals("application/json") || (media.startsWith("application/") && media.endsWith("+json"));
    }

    private static JsonNode onlyFields(JsonNode body, Set<String> allowed, Set<String> required) {
        for (Iterator<String> names = body.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw ControlException.badRequest("unknown field \"" + name + "\" (expected: " + allowed + ")");
            }
        }
        for (String name : required) {
            if (!body.has(name)) {
                throw ControlException.badRequest("missing field \"" + name + "\"");
            }
        }
        return body;
    }

    private static String textField(JsonNode body, String name) {
        JsonNode value = body.get(name);
        if (value == null || !value.isTextual()) {
            throw ControlException.badRequest("\"" + name + "\" must be a string");
        }
        return value.asText();
    }

    private static int intField(JsonNode body, String name) {
        JsonNode value = body.get(name);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()) {
            throw ControlException.badRequest("\"" + name + "\" must be a whole number, not " + value);
        }
        return value.intValue();
    }

    private static boolean flag(AdminRequest request, String name) {
        String value = request.query(name);
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.isEmpty() || value.equals("true")) {
            return true;
        }
        throw ControlException.badRequest(name + "=" + value + " (expected: true or false)");
    }

    static Duration duration(String name, String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw ControlException.badRequest(name + "=" + text + " (expected: a duration such as 30s, 500ms or 2m)");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        Duration d = switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofSeconds(amount);
        };
        if (d.compareTo(MAX_WAIT) > 0) {
            throw ControlException.badRequest(name + "=" + text + " (expected: at most 1h)");
        }
        return d;
    }
}
