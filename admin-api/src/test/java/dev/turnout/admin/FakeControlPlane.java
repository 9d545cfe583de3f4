package dev.turnout.admin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory {@link ControlPlane} that behaves like the real one where the admin API can tell
 * (NOT_FOUND for unknown names, CONFLICT for a busy removal or a duplicate id, a refused change
 * changes nothing) and records every mutating call it receives, refused or not.
 *
 * <p>{@link #whenIdle} hands out one controllable future per backend: it completes only when the
 * test calls {@link #finishInflight}, or at once when the backend has nothing in flight.
 */
final class FakeControlPlane implements ControlPlane {

    /** The arguments of one {@link #setSplit} call, keys in the order they were passed. */
    record SplitCall(String route, List<String> pools, List<Integer> shares) {
    }

    private final Map<String, String> balancers = new TreeMap<>();
    private final Map<String, Map<String, BackendView>> pools = new TreeMap<>();
    private final Map<String, RouteView> routes = new LinkedHashMap<>();
    private final Map<String, RolloutView> rollouts = new HashMap<>();
    private final Map<String, CompletableFuture<Void>> idle = new HashMap<>();
    private final List<String> calls = new ArrayList<>();
    private final List<SplitCall> splitCalls = new ArrayList<>();
    private final List<String> whenIdleCalls = new ArrayList<>();
    private final Semaphore whenIdleSignal = new Semaphore(0);
    private TrafficView traffic;
    private ReloadView reloadAnswer;
    private ControlException reloadRefusal;

    /**
     * Pools {@code stable} (app1 weight 1, app2 weight 2) and {@code canary} (c1), route {@code web}
     * splitting stable 95 / canary 5. Nothing is in flight.
     */
    static FakeControlPlane standard() {
        FakeControlPlane fake = new FakeControlPlane();
        fake.addPool("stable", "weighted-round-robin");
        fake.putBackend(new BackendView("stable", "app1", "127.0.0.1:9001", 1, "active", "up", 0));
        fake.putBackend(new BackendView("stable", "app2", "127.0.0.1:9002", 2, "active", "down", 0));
        fake.addPool("canary", "least-inflight");
        fake.putBackend(new BackendView("canary", "c1", "127.0.0.1:9101", 1, "active", "unknown", 0));
        Map<String, Integer> split = new LinkedHashMap<>();
        split.put("stable", 95);
        split.put("canary", 5);
        fake.putRoute(new RouteView("web", "*", "/", split, Map.of(), null, null));
        return fake;
    }

    synchronized void addPool(String name, String balancer) {
        balancers.put(name, balancer);
        pools.put(name, new LinkedHashMap<>());
    }

    synchronized void putBackend(BackendView backend) {
        pools.get(backend.pool()).put(backend.id(), backend);
    }

    synchronized void putRoute(RouteView route) {
        routes.put(route.name(), route);
    }

    /** What {@link #traffic} answers from now on; null (the start) is metrics turned off. */
    synchronized void setTraffic(TrafficView traffic) {
        this.traffic = traffic;
    }

    /** Sets what is in flight on a backend (a draining backend with none becomes drained). */
    synchronized void setInflight(String pool, String id, int inflight) {
        BackendView b = find(pool, id);
        putBackend(with(b, b.state(), b.weight(), inflight));
    }

    /**
     * The last in-flight request on the backend finishes: inflight drops to 0 (draining becomes
     * drained), then its {@link #whenIdle} future completes, on the calling thread.
     */
    void finishInflight(String pool, String id) {
        CompletableFuture<Void> future;
        synchronized (this) {
            BackendView b = find(pool, id);
            putBackend(with(b, b.state(), b.weight(), 0));
            future = idle.computeIfAbsent(key(pool, id), k -> new CompletableFuture<>());
        }
        future.complete(null);
    }

    /** Every mutating call received, accepted or refused, e.g. {@code "drain stable/app1"}. */
    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    synchronized List<SplitCall> splitCalls() {
        return List.copyOf(splitCalls);
    }

    synchronized List<String> whenIdleCalls() {
        return List.copyOf(whenIdleCalls);
    }

    /** Waits until {@code count} more {@link #whenIdle} calls have been made (a guard against a hang). */
    boolean awaitWhenIdleCalls(int count) throws InterruptedException {
        return whenIdleSignal.tryAcquire(count, 30, TimeUnit.SECONDS);
    }

    /** Everything a caller can observe, to show that a refused change changed nothing. */
    synchronized List<Object> snapshot() {
        return List.of(pools(), routes());
    }

    // ---- ControlPlane ------------------------------------------------------------------------

    @Override
    public synchronized List<PoolView> pools() {
        List<PoolView> views = new ArrayList<>();
        for (String name : pools.keySet()) {
            views.add(pool(name));
        }
        return views;
    }

    @Override
    public synchronized PoolView pool(String pool) {
        Map<String, BackendView> backends = pools.get(pool);
        if (backends == null) {
            throw ControlException.notFound("no pool named " + pool);
        }
        return new PoolView(pool, balancers.get(pool), new ArrayList<>(backends.values()));
    }

    @Override
    public synchronized BackendView backend(String pool, String id) {
        return find(pool, id);
    }

    @Override
    public synchronized List<RouteView> routes() {
        return List.copyOf(routes.values());
    }

    @Override
    public synchronized TrafficView traffic() {
        return traffic;
    }

    /** One sample a second for every backend and pool: 10 requests a second, none failed, p95 5 ms. */
    @Override
    public synchronized HistoryView history() {
        if (traffic == null) {
            throw ControlException.notFound("no history: turnout.metrics.enabled is false");
        }
        HistoryView.Series series = new HistoryView.Series(new long[] {1000, 2000}, new double[] {10, 10}, new long[] {0, 0},
                new Double[] {5.0, null});
        Map<String, HistoryView.Series> backends = new LinkedHashMap<>();
        pools.forEach((pool, byId) -> byId.keySet().forEach(id -> backends.put(pool + "/" + id, series)));
        Map<String, HistoryView.Series> byPool = new LinkedHashMap<>();
        pools.keySet().forEach(pool -> byPool.put(pool, series));
        return new HistoryView("1s", backends, byPool);
    }

    @Override
    public InstanceView instance() {
        return new InstanceView("test", 1000, 1, 0, null, "0123456789abcdef", null);
    }

    /** What the next reloads answer: {@code answer}, or {@code refusal} thrown when it is not null. */
    synchronized void reloadAnswers(ReloadView answer, ControlException refusal) {
        this.reloadAnswer = answer;
        this.reloadRefusal = refusal;
    }

    @Override
    public synchronized ReloadView reloadConfiguration() {
        calls.add("reloadConfiguration");
        if (reloadRefusal != null) {
            throw reloadRefusal;
        }
        return reloadAnswer;
    }

    @Override
    public synchronized Change<BackendView> addBackend(String pool, String id, String address, int weight) {
        calls.add("addBackend " + pool + "/" + id + " " + address + " weight=" + weight);
        Map<String, BackendView> backends = pools.get(pool);
        if (backends == null) {
            throw ControlException.notFound("no pool named " + pool);
        }
        if (backends.containsKey(id)) {
            throw ControlException.conflict("pool " + pool + " already has a backend " + id);
        }
        if (weight < 0) {
            throw ControlException.badRequest("weight must not be negative");
        }
        BackendView added = new BackendView(pool, id, address, weight, "active", "unknown", 0);
        backends.put(id, added);
        return new Change<>(null, added);
    }

    @Override
    public synchronized Change<BackendView> removeBackend(String pool, String id, boolean force) {
        calls.add("removeBackend " + pool + "/" + id + " force=" + force);
        BackendView before = find(pool, id);
        if (before.inflight() > 0 && !force) {
            throw ControlException.conflict(before.inflight() + " requests in flight on " + pool + "/" + id);
        }
        pools.get(pool).remove(id);
        return new Change<>(before, null);
    }

    @Override
    public synchronized Change<BackendView> drain(String pool, String id) {
        calls.add("drain " + pool + "/" + id);
        BackendView before = find(pool, id);
        BackendView after = with(before, "draining", before.weight(), before.inflight());
        putBackend(after);
        return new Change<>(before, after);
    }

    @Override
    public synchronized Change<BackendView> enable(String pool, String id) {
        calls.add("enable " + pool + "/" + id);
        BackendView before = find(pool, id);
        BackendView after = with(before, "active", before.weight(), before.inflight());
        putBackend(after);
        return new Change<>(before, after);
    }

    @Override
    public synchronized Change<BackendView> setWeight(String pool, String id, int weight) {
        calls.add("setWeight " + pool + "/" + id + " " + weight);
        BackendView before = find(pool, id);
        if (weight < 0) {
            throw ControlException.badRequest("weight must not be negative");
        }
        BackendView after = with(before, before.state(), weight, before.inflight());
        putBackend(after);
        return new Change<>(before, after);
    }

    @Override
    public synchronized Change<RouteView> setSplit(String route, Map<String, Integer> split) {
        calls.add("setSplit " + route + " " + split);
        splitCalls.add(new SplitCall(route, new ArrayList<>(split.keySet()), new ArrayList<>(split.values())));
        RouteView before = routes.get(route);
        if (before == null) {
            throw ControlException.notFound("no route named " + route);
        }
        int sum = 0;
        for (Map.Entry<String, Integer> share : split.entrySet()) {
            if (!pools.containsKey(share.getKey())) {
                throw ControlException.badRequest("no pool named " + share.getKey());
            }
            sum += share.getValue();
        }
        if (sum != 100) {
            throw ControlException.badRequest("shares sum to " + sum + ", not 100");
        }
        RouteView after = new RouteView(route, before.host(), before.pathPrefix(), split, before.policy(), before.rateLimited(),
                before.rateLimitKeys());
        routes.put(route, after);
        return new Change<>(before, after);
    }

    @Override
    public CompletionStage<Void> whenIdle(String pool, String id) {
        CompletableFuture<Void> future;
        synchronized (this) {
            whenIdleCalls.add(pool + "/" + id);
            BackendView b = find(pool, id);
            future = b.inflight() == 0
                    ? CompletableFuture.completedFuture(null)
                    : idle.computeIfAbsent(key(pool, id), k -> new CompletableFuture<>());
        }
        whenIdleSignal.release();
        return future;
    }

    // ---- helpers -----------------------------------------------------------------------------

    private BackendView find(String pool, String id) {
        Map<String, BackendView> backends = pools.get(pool);
        if (backends == null) {
            throw ControlException.notFound("no pool named " + pool);
        }
        BackendView b = backends.get(id);
        if (b == null) {
            throw ControlException.notFound("pool " + pool + " has no backend " + id);
        }
        return b;
    }

    private static BackendView with(BackendView b, String state, int weight, int inflight) {
        String shown = state;
        if (state.equals("draining") || state.equals("drained")) {
            shown = inflight == 0 ? "drained" : "draining";
        }
        return new BackendView(b.pool(), b.id(), b.address(), weight, shown, b.health(), inflight);
    }

    private static String key(String pool, String id) {
        return pool + "/" + id;
    }

    @Override
    public int purgeCache(String prefix) {
        return 0;
    }

    @Override
    public synchronized int purgeCacheTags(Set<String> tags) {
        calls.add("purgeCacheTags " + tags);
        return tags.size();
    }

    @Override
    public synchronized RolloutView startRollout(String route, RolloutPlan plan) {
        calls.add("startRollout " + route + " " + plan);
        RouteView current = routes.get(route);
        if (current == null) {
            throw ControlException.notFound("no route named " + route);
        }
        if (!pools.containsKey(plan.from()) || !pools.containsKey(plan.to())) {
            throw ControlException.notFound("no pool named " + (pools.containsKey(plan.from()) ? plan.to() : plan.from()));
        }
        RolloutView running = rollouts.get(route);
        if (running != null && running.running()) {
            throw ControlException.conflict("a rollout is already running on route " + route);
        }
        Map<String, Integer> split = new LinkedHashMap<>();
        split.put(plan.from(), 100 - plan.steps().get(0));
        split.put(plan.to(), plan.steps().get(0));
        RolloutView view = new RolloutView(route, RolloutView.RUNNING, plan.from(), plan.to(), plan.steps(),
                plan.interval().toMillis() + "ms", plan.interval().toMillis(), plan.maxErrorRate(), plan.maxP95Ratio(),
                plan.minRequests(), plan.judge(), plan.confidence(), plan.maxLatencyIncrease(), plan.steps().get(0),
                split, "2026-01-01T00:00:00Z", null, List.of());
        rollouts.put(route, view);
        return view;
    }

    @Override
    public synchronized RolloutView rollout(String route) {
        RolloutView view = rollouts.get(route);
        if (view == null) {
            throw ControlException.notFound("route " + route + " has had no rollout");
        }
        return view;
    }

    @Override
    public synchronized RolloutView abortRollout(String route) {
        calls.add("abortRollout " + route);
        RolloutView view = rollout(route);
        if (!view.running()) {
            throw ControlException.conflict("no rollout is running on route " + route);
        }
        RolloutView aborted = new RolloutView(route, RolloutView.ABORTED, view.from(), view.to(), view.steps(), view.interval(),
                view.intervalMillis(), view.maxErrorRate(), view.maxP95Ratio(), view.minRequests(), view.judge(),
                view.confidence(), view.maxLatencyIncrease(), 0,
                Map.of(view.from(), 100), view.started(), "aborted by operator", view.verdicts());
        rollouts.put(route, aborted);
        return aborted;
    }
}
