package dev.turnout.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's calls (SPEC's admin table), each mapped onto {@link ControlPlane}. Every
 * accepted change writes one line to the {@code turnout.audit} logger: who, what, before, after.
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

    /** Answers through {@code reply}, now or (for a drain that waits) later, exactly once. */
    void dispatch(AdminRequest request, Consumer<AdminResponse> reply) {
        try {
            route(request, reply);
        } catch (ControlException e) {
            reply.accept(e.current() == null ? AdminResponse.error(e.kind().status(), e.getMessage())
                    : AdminResponse.json(e.kind().status(), Map.of("error", e.getMessage(), "current", e.current())));
        }
    }

    private void route(AdminRequest request, Consumer<AdminResponse> reply) {
        List<String> s = request.segments();
        String method = request.method();
        if (s.equals(List.of("healthz"))) {
            reply.accept(expect(method, "GET", () -> AdminResponse.json(200, Map.of("status", "ok"))));
        } else if (s.equals(List.of("metrics")) && metrics != null) {
            reply.accept(expect(method, "GET", () -> AdminResponse.text(200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.get())));
        } else if (StatusPage.file(s) != null) {
            reply.accept(expect(method, "GET", () -> StatusPage.file(s)));
        } else if (s.size() < 3 || !s.get(0).equals("api") || !s.get(1).equals("v1")) {
            reply.accept(AdminResponse.error(404, "no such endpoint: " + request.path()));
        } else if (s.get(2).equals("pools")) {
            pools(request, s.subList(3, s.size()), reply);
        } else if (s.get(2).equals("routes")) {
            reply.accept(routes(request, s.subList(3, s.size())));
        } else if (s.subList(2, s.size()).equals(List.of("summary"))) {
            reply.accept(expect(method, "GET", () -> AdminResponse.json(200, StatusSummary.of(control, Instant.now()))));
        } else if (s.subList(2, s.size()).equals(List.of("cache", "purge"))) {
            reply.accept(expect(method, "POST", () -> purge(request)));
        } else {
            reply.accept(AdminResponse.error(404, "no such endpoint: " + request.path()));
        }
    }

    private void pools(AdminRequest request, List<String> s, Consumer<AdminResponse> reply) {
        String method = request.method();
        if (s.isEmpty()) {
            reply.accept(expect(method, "GET", () -> AdminResponse.json(200, Map.of("pools", control.pools()))));
            return;
        }
        String pool = s.get(0);
        if (s.size() == 1) {
            reply.accept(expect(method, "GET", () -> AdminResponse.json(200, control.pool(pool))));
            return;
        }
        if (!s.get(1).equals("backends") || s.size() > 4) {
            reply.accept(AdminResponse.error(404, "no such endpoint: " + request.path()));
            return;
        }
        if (s.size() == 2) {
            reply.accept(switch (method) {
                case "GET" -> AdminResponse.json(200, control.pool(pool).backends());
                case "POST" -> addBackend(request, pool);
                default -> notAllowed(method, "GET, POST");
            });
            return;
        }
        String id = s.get(2);
        if (s.size() == 3) {
            reply.accept(switch (method) {
                case "GET" -> AdminResponse.json(200, control.backend(pool, id));
                case "DELETE" -> {
                    boolean force = flag(request, "force");
                    yield audited(request, "remove backend " + pool + "/" + id + (force ? " (forced)" : ""), 200,
                            control.removeBackend(pool, id, force));
                }
                default -> notAllowed(method, "GET, DELETE");
            });
            return;
        }
        switch (s.get(3)) {
            case "drain" -> {
                if (!method.equals("POST")) {
                    reply.accept(notAllowed(method, "POST"));
                } else {
                    drain(request, pool, id, reply);
                }
            }
            case "enable" -> reply.accept(expect(method, "POST", () -> audited(request, "enable backend " + pool + "/" + id,
                    200, control.enable(pool, id))));
            case "weight" -> reply.accept(expect(method, "PUT", () -> {
                int weight = intField(onlyFields(object(request), Set.of("weight"), Set.of("weight")), "weight");
                return audited(request, "set weight of " + pool + "/" + id + " to " + weight, 200,
                        control.setWeight(pool, id, weight));
            }));
            default -> reply.accept(AdminResponse.error(404, "no such endpoint: " + request.path()));
        }
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

    private AdminResponse routes(AdminRequest request, List<String> s) {
        String method = request.method();
        if (s.isEmpty()) {
            return expect(method, "GET", () -> AdminResponse.json(200, Map.of("routes", control.routes())));
        }
        String route = s.get(0);
        if (s.size() == 1) {
            return expect(method, "GET", () -> AdminResponse.json(200, control.routes().stream()
                    .filter(r -> r.name().equals(route)).findFirst()
                    .orElseThrow(() -> ControlException.notFound("no route named " + route))));
        }
        if (s.size() == 2 && s.get(1).equals("split")) {
            return expect(method, "PUT", () -> {
                JsonNode body = object(request);
                Map<String, Integer> split = new LinkedHashMap<>();
                for (Iterator<String> names = body.fieldNames(); names.hasNext();) {
                    String pool = names.next();
                    split.put(pool, intField(body, pool));
                }
                return audited(request, "set split of route " + route + " to " + split, 200, control.setSplit(route, split));
            });
        }
        if (s.size() == 2 && s.get(1).equals("rollout")) {
            return switch (method) {
                case "GET" -> AdminResponse.json(200, control.rollout(route));
                case "POST" -> {
                    RolloutPlan plan = rolloutPlan(object(request));
                    RolloutView started = control.startRollout(route, plan);
                    AUDIT.info("{} start rollout on route {}: {}", request.who(), route, render(started));
                    yield AdminResponse.json(202, started);
                }
                case "DELETE" -> {
                    RolloutView aborted = control.abortRollout(route);
                    AUDIT.info("{} abort rollout on route {}: split now {}", request.who(), route, aborted.split());
                    yield AdminResponse.json(200, aborted);
                }
                default -> notAllowed(method, "GET, POST, DELETE");
            };
        }
        return AdminResponse.error(404, "no such endpoint: " + request.path());
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

    private static AdminResponse expect(String method, String allowed, Supplier<AdminResponse> call) {
        return method.equals(allowed) ? call.get() : notAllowed(method, allowed);
    }

    private static AdminResponse notAllowed(String method, String allowed) {
        return AdminResponse.error(405, "method " + method + " not allowed here (allowed: " + allowed + ")");
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
