package dev.turnout.proxy.control;

import dev.turnout.admin.BackendView;
import dev.turnout.admin.Change;
import dev.turnout.admin.ControlException;
import dev.turnout.admin.ControlPlane;
import dev.turnout.admin.PoolView;
import dev.turnout.admin.RolloutPlan;
import dev.turnout.admin.RolloutView;
import dev.turnout.admin.RouteView;
import dev.turnout.admin.HistoryView;
import dev.turnout.admin.InstanceView;
import dev.turnout.admin.TrafficView;
import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.config.Limits;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.PoolState;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.pool.RetryBudget;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.stats.LatencyReservoir;
import dev.turnout.proxy.stats.RequestTally;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin seam's implementation. One change at a time (changes are rare and come from the
 * admin threads): validate against the current {@link RuntimeState}, compile the next routing
 * snapshot, commit it to the {@link StateStore}, then publish it. If any step throws, nothing was
 * published and the old state stands. The data plane only ever reads the published snapshot.
 *
 * <p>With a shared (etcd) store, a commit is conditioned on the revision the change was validated
 * against; changes made on other instances arrive through {@link #applied} on the store's thread
 * and are published the same way. Rollouts are judged only on the instance the store elects.
 */
public final class RuntimeControl implements ControlPlane, StateStore.Listener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeControl.class);

    private final RoutingState routing;
    private final StateStore store;
    private final Consumer<Backend> closeIdleConnections;
    private final Map<String, RetryBudget> retryBudgets = new HashMap<>();
    private Consumer<RouteTable> onPublish = table -> { };
    private Consumer<Backend> onDrain = backend -> { };
    private ToIntFunction<String> cachePurger = prefix -> 0;
    private ToIntFunction<Set<String>> cacheTagPurger = tags -> 0;
    private Supplier<TrafficView> trafficSource = () -> null;
    private Supplier<HistoryView> historySource = () -> {
        throw ControlException.notFound("no history: turnout.metrics.enabled is false");
    };
    private Supplier<InstanceView> instanceSource = () -> null;
    private Map<String, Backend> backends = Map.of();
    private RuntimeState state;
    /** The revision of {@link #state} in the store; read without the lock by the store's thread. */
    private volatile long revision;
    private boolean leading;
    private RolloutRunner rollouts;

    /**
     * Loads the saved state over the configuration, before any listener opens.
     *
     * @param closeIdleConnections closes the pooled idle connections of a backend that left rotation
     */
    public RuntimeControl(TurnoutConfig config, Consumer<Backend> closeIdleConnections) {
        StateFile stateFile = config.stateFile() == null ? null : new StateFile(config.stateFile());
        this.store = config.state().shared() ? new EtcdStateStore(config.state().etcd(), stateFile)
                : new FileStateStore(stateFile);
        this.closeIdleConnections = closeIdleConnections;
        StateStore.Versioned loaded = store.load(RuntimeState.fromConfig(config));
        this.state = loaded.state();
        this.revision = loaded.revision();
        Compiled first = compile(state);
        this.backends = first.backends();
        this.routing = new RoutingState(first.table());
        applyConnectionPolicy(first.table());
    }

    /** What the data plane reads. */
    public RoutingState routing() {
        return routing;
    }

    /** Called with every snapshot published from now on (the health checker follows the fleet). */
    public synchronized void onPublish(Consumer<RouteTable> listener) {
        this.onPublish = listener;
        listener.accept(routing.current());
    }

    /** Where {@link #purgeCache} goes: the response cache, when there is one. */
    public void cachePurger(ToIntFunction<String> purger, ToIntFunction<Set<String>> byTags) {
        this.cachePurger = purger;
        this.cacheTagPurger = byTags;
    }

    /** Where {@link #traffic} reads: metrics, when they are on. */
    public void trafficSource(Supplier<TrafficView> source) {
        this.trafficSource = source;
    }

    @Override
    public TrafficView traffic() {
        return trafficSource.get();
    }

    /** Where {@link #history} comes from, when metrics count traffic. */
    public void historySource(Supplier<HistoryView> source) {
        this.historySource = source;
    }

    @Override
    public HistoryView history() {
        return historySource.get();
    }

    /** Where {@link #instance} comes from: the process that runs this control plane. */
    public void instanceSource(Supplier<InstanceView> source) {
        this.instanceSource = source;
    }

    @Override
    public InstanceView instance() {
        return instanceSource.get();
    }

    @Override
    public int purgeCache(String prefix) {
        return cachePurger.applyAsInt(prefix);
    }

    @Override
    public int purgeCacheTags(Set<String> tags) {
        return cacheTagPurger.applyAsInt(tags);
    }

    /**
     * Turns rollouts on (they judge the figures that metrics count) and resumes the ones that were
     * running when Turnout stopped: each holds its step and starts its interval again.
     *
     * @param scheduler where the judgements run (never an event loop)
     * @param tallies   the running totals of a route's requests to a pool
     * @param latencies the sample of a route's request durations to a pool over the current interval
     */
    public synchronized void enableRollouts(ScheduledExecutorService scheduler, Clock clock,
            BiFunction<String, String, RequestTally> tallies, BiFunction<String, String, LatencyReservoir> latencies,
            MeterRegistry registry) {
        this.rollouts = new RolloutRunner(scheduler, clock, tallies, latencies, registry);
        // Every route's rollout series exist from the start, at zero, so dashboards show an idle route as such.
        routing.current().routes().forEach(route -> rollouts.watch(route.name()));
        state.rollouts().values().forEach(rollouts::show);
        Gauge.builder("turnout.state.store.up", store, s -> s.up() ? 1 : 0)
                .description("1 while the state store can be reached (always 1 for a file); 0: changes answer 503")
                .register(registry);
        store.start(this, true);
    }

    /** The running rollouts start judging here: at start alone, or when this instance is elected in a fleet. */
    private void resumeRollouts() {
        for (RolloutView saved : List.copyOf(state.rollouts().values())) {
            if (!saved.running() || rollouts.scheduled(saved.route())) {
                continue;
            }
            String route = saved.route();
            RolloutView resumed = RolloutJudge.resumed(saved, rollouts.now());
            try {
                apply(state.withSplit(route, resumed.split()).withRollout(route, resumed), () -> rollout(route));
            } catch (ControlException e) {
                resumed = state.rollouts().get(route);
                LOG.warn("rollout on route {}: its resumption could not be saved ({})", route, e.getMessage());
                if (resumed == null || !resumed.running()) {
                    continue;
                }
            }
            rollouts.beginInterval(resumed, this::judgeRollout);
            LOG.info("rollout on route {} resumed at {}% for {}", route, resumed.step(), resumed.to());
        }
    }

    @Override
    public synchronized void leading(boolean leads) {
        this.leading = leads;
        if (rollouts == null) {
            return;
        }
        if (leads) {
            resumeRollouts();
        } else {
            rollouts.cancelAll();
        }
    }

    /**
     * Rollouts stay off (metrics are off): a rollout saved as running cannot be judged, so it is
     * aborted, said so in its trail and the log, rather than left holding the route's split.
     */
    public synchronized void abortSavedRollouts(String reason) {
        if (store.shared()) {
            // Another instance of the fleet, with metrics on, judges them; this one never campaigns.
            LOG.warn("{}: this instance never runs the fleet's rollouts", reason);
            store.start(this, false);
            return;
        }
        for (RolloutView saved : state.rollouts().values()) {
            if (saved.running()) {
                RolloutView aborted = RolloutJudge.aborted(saved, reason, now());
                apply(state.withSplit(saved.route(), aborted.split()).withRollout(saved.route(), aborted), () -> aborted);
                LOG.warn("rollout on route {} aborted at start: {}; {} gets all of the route", saved.route(), reason,
                        saved.from());
            }
        }
    }

    @Override
    public synchronized RolloutView startRollout(String route, RolloutPlan plan) {
        if (rollouts == null) {
            throw ControlException.conflict("rollouts judge the figures metrics count: set turnout.metrics.enabled = true");
        }
        if (state.route(route) == null) {
            throw ControlException.notFound("no route named " + route);
        }
        statePool(plan.from());
        statePool(plan.to());
        RolloutView current = state.rollouts().get(route);
        if (current != null && current.running()) {
            throw ControlException.conflict("a rollout from " + current.from() + " to " + current.to()
                    + " is running on route " + route + "; abort it first (DELETE .../rollout)");
        }
        int inRotationTo = inRotation(plan.to());
        if (inRotationTo == 0) {
            throw ControlException.conflict("pool " + plan.to() + " has no backend in rotation");
        }
        RolloutView started = RolloutJudge.start(route, plan, inRotation(plan.from()), inRotationTo, rollouts.now());
        apply(state.withSplit(route, started.split()).withRollout(route, started), () -> state.rollouts().get(route));
        if (leading) {
            rollouts.beginInterval(started, this::judgeRollout);
        } else {
            rollouts.show(started);
        }
        return started;
    }

    @Override
    public synchronized RolloutView rollout(String route) {
        RolloutView rollout = state.rollouts().get(route);
        if (rollout == null) {
            if (state.route(route) == null) {
                throw ControlException.notFound("no route named " + route);
            }
            throw ControlException.notFound("route " + route + " has had no rollout");
        }
        return rollout;
    }

    @Override
    public synchronized RolloutView abortRollout(String route) {
        RolloutView current = rollout(route);
        if (!current.running()) {
            throw ControlException.conflict("no rollout is running on route " + route + " (the last one is " + current.state()
                    + ")");
        }
        RolloutView aborted = RolloutJudge.aborted(current, "aborted by an operator", now());
        apply(state.withSplit(route, aborted.split()).withRollout(route, aborted), () -> rollout(route));
        if (rollouts != null) {
            rollouts.ended(aborted);
        }
        return aborted;
    }

    /** The end of a rollout's interval, on the scheduler thread. */
    private synchronized void judgeRollout(String route) {
        RolloutView current = state.rollouts().get(route);
        if (current == null || !current.running() || !leading) {
            return;
        }
        try {
            RolloutView judged = rollouts.judge(current, inRotation(current.from()), inRotation(current.to()));
            apply(state.withSplit(route, judged.split()).withRollout(route, judged), () -> rollout(route));
            if (!judged.running()) {
                rollouts.ended(judged);
                LOG.info("rollout on route {} {}: {}", route, judged.state(), judged.reason());
            } else if (RolloutJudge.waited(judged)) {
                rollouts.extendInterval(judged, this::judgeRollout);
            } else {
                rollouts.beginInterval(judged, this::judgeRollout);
            }
        } catch (RuntimeException e) {
            // Say so, and keep the rollout where it is: the next interval tries again (unless another
            // instance ended it meanwhile, which a conflict has just brought in).
            LOG.error("rollout on route {}: judging the interval failed; trying again next interval", route, e);
            RolloutView now = state.rollouts().get(route);
            if (now != null && now.running() && leading) {
                rollouts.extendInterval(now, this::judgeRollout);
            }
        }
    }

    private String now() {
        return rollouts != null ? rollouts.now() : Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    }

    private int inRotation(String pool) {
        Pool p = routing.current().pools().get(pool);
        return p == null ? 0 : (int) p.members().stream().filter(PoolMember::inRotation).count();
    }

    /**
     * Publishes a snapshot of the current state again, taking in the backends' observed health
     * (a health flip, an ejection). Not saved: health is observed, not operator intent. Called
     * from the health thread, never from an event loop.
     */
    public synchronized void refresh() {
        Compiled compiled = compile(state);
        backends = compiled.backends();
        routing.publish(compiled.table());
        onPublish.accept(compiled.table());
    }

    // ---- reads ------------------------------------------------------------------------------

    @Override
    public List<PoolView> pools() {
        return routing.current().pools().values().stream().map(this::view).toList();
    }

    @Override
    public PoolView pool(String pool) {
        return view(snapshotPool(pool));
    }

    @Override
    public BackendView backend(String pool, String id) {
        return view(pool, snapshotMember(pool, id));
    }

    @Override
    public List<RouteView> routes() {
        return routing.current().routes().stream().map(RuntimeControl::view).toList();
    }

    @Override
    public CompletionStage<Void> whenIdle(String pool, String id) {
        CompletionStage<Void> local = snapshotMember(pool, id).backend().whenIdle();
        if (!store.shared()) {
            return local;
        }
        long drainedAt = revision;
        return local.thenCompose(idle -> store.whenOthersIdle(pool + "/" + id, drainedAt));
    }

    // ---- changes ----------------------------------------------------------------------------

    @Override
    public synchronized Change<BackendView> addBackend(String pool, String id, String address, int weight) {
        PoolState current = statePool(pool);
        if (!Limits.validName(id)) {
            throw ControlException.badRequest("id \"" + id + "\": " + Limits.NAME_RULE);
        }
        if (current.backend(id) != null) {
            throw ControlException.conflict("pool " + pool + " already has a backend " + id);
        }
        requireWeight(weight);
        BackendConfig config;
        try {
            HostPort hostPort = HostPort.parse("address", address, false);
            config = new BackendConfig(id, hostPort, hostPort.resolve("address"), weight);
        } catch (ConfigError e) {
            throw ControlException.badRequest(e.getMessage());
        }
        apply(state.withBackend(pool, new BackendState(config, AdminState.ACTIVE, true)), () -> backend(pool, id));
        return new Change<>(null, backend(pool, id));
    }

    @Override
    public synchronized Change<BackendView> removeBackend(String pool, String id, boolean force) {
        BackendView before = backend(pool, id);
        if (before.inflight() > 0 && !force) {
            throw ControlException.conflict(pool + "/" + id + " has " + before.inflight()
                    + " requests in flight; drain it first, or remove with ?force=true");
        }
        apply(state.withoutBackend(pool, id), () -> backend(pool, id));
        return new Change<>(before, null);
    }

    @Override
    public synchronized Change<BackendView> drain(String pool, String id) {
        Change<BackendView> change = changeState(pool, id, AdminState.DRAINING);
        Backend drained = backends.get(pool + "/" + id);
        if (drained != null) {
            onDrain.accept(drained);
        }
        return change;
    }

    /** Called with each backend a drain took out of rotation (its WebSocket tunnels get a deadline). */
    public synchronized void onDrain(Consumer<Backend> listener) {
        this.onDrain = listener;
    }

    @Override
    public synchronized Change<BackendView> enable(String pool, String id) {
        Backend backend = backends.get(pool + "/" + id);
        if (backend != null && stateBackend(pool, id).state() != AdminState.ACTIVE) {
            backend.startRamp(System.nanoTime());
        }
        return changeState(pool, id, AdminState.ACTIVE);
    }

    @Override
    public synchronized Change<BackendView> setWeight(String pool, String id, int weight) {
        BackendView before = backend(pool, id);
        requireWeight(weight);
        apply(state.withBackend(pool, stateBackend(pool, id).withWeight(weight)), () -> backend(pool, id));
        return new Change<>(before, backend(pool, id));
    }

    @Override
    public synchronized Change<RouteView> setSplit(String route, Map<String, Integer> split) {
        if (state.route(route) == null) {
            throw ControlException.notFound("no route named " + route);
        }
        RolloutView rollout = state.rollouts().get(route);
        if (rollout != null && rollout.running()) {
            throw ControlException.conflict("a rollout is running on route " + route + " and owns its split; abort it first "
                    + "(DELETE /api/v1/routes/" + route + "/rollout)");
        }
        String problem = Limits.splitProblem(split, state.pools().keySet());
        if (problem != null) {
            throw ControlException.badRequest("split " + split + ": " + problem);
        }
        RouteView before = routeView(route);
        apply(state.withSplit(route, split), () -> routeView(route));
        return new Change<>(before, routeView(route));
    }

    private Change<BackendView> changeState(String pool, String id, AdminState next) {
        BackendView before = backend(pool, id);
        apply(state.withBackend(pool, stateBackend(pool, id).withState(next)), () -> backend(pool, id));
        return new Change<>(before, backend(pool, id));
    }

    /**
     * Commits {@code next} at the revision it was validated against, then publishes it. When
     * another instance changed the state first, its state is applied instead and the caller gets
     * a conflict showing {@code current}: the object the change was about, as it now stands.
     */
    private void apply(RuntimeState next, Supplier<Object> current) {
        Compiled compiled = compile(next);
        try {
            revision = store.commit(next, revision);
        } catch (StateStore.Conflict conflict) {
            adopt(conflict.current());
            Object now;
            try {
                now = current.get();
            } catch (ControlException gone) {
                now = Map.of("error", gone.getMessage());
            }
            throw ControlException.conflict("another instance changed the shared state first (it is now at revision "
                    + conflict.current().revision() + "); nothing was changed: check the current state and try again", now);
        }
        publish(next, compiled);
    }

    @Override
    public synchronized void applied(StateStore.Versioned shared) {
        adopt(shared);
    }

    @Override
    public long appliedRevision() {
        return revision;
    }

    @Override
    public Map<String, Integer> localInflight() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Pool pool : routing.current().pools().values()) {
            for (PoolMember member : pool.members()) {
                int inflight = member.backend().inflight();
                if (inflight > 0) {
                    counts.put(pool.name() + "/" + member.backend().id(), inflight);
                }
            }
        }
        return counts;
    }

    /** Routes by a state another instance committed, doing what the change did there: drain deadlines, ramps, rollouts. */
    private void adopt(StateStore.Versioned shared) {
        if (shared.revision() <= revision) {
            return;
        }
        RuntimeState previous = state;
        RuntimeState next = shared.state();
        Compiled compiled = compile(next);
        revision = shared.revision();
        publish(next, compiled);
        next.pools().forEach((name, pool) -> {
            RuntimeState.PoolState before = previous.pools().get(name);
            for (BackendState b : pool.backends()) {
                BackendState was = before == null ? null : before.backend(b.config().id());
                Backend backend = backends.get(name + "/" + b.config().id());
                if (was == null || was.state() == b.state() || backend == null) {
                    continue;
                }
                if (b.state() == AdminState.DRAINING) {
                    onDrain.accept(backend);
                } else if (b.state() == AdminState.ACTIVE) {
                    backend.startRamp(System.nanoTime());
                }
            }
        });
        if (rollouts == null) {
            return;
        }
        for (RolloutView rollout : next.rollouts().values()) {
            rollouts.show(rollout);
            if (leading && rollout.running() && !rollouts.scheduled(rollout.route())) {
                rollouts.beginInterval(rollout, this::judgeRollout);
            } else if (!rollout.running() && rollouts.scheduled(rollout.route())) {
                rollouts.ended(rollout);
            }
        }
    }

    /** Stops following the fleet: in a fleet, the others stop counting this instance at once. */
    @Override
    public void close() {
        store.close();
    }

    private void publish(RuntimeState next, Compiled compiled) {
        Map<String, Backend> previous = backends;
        state = next;
        backends = compiled.backends();
        List<Backend> gone = previous.entrySet().stream().filter(e -> backends.get(e.getKey()) != e.getValue())
                .map(Map.Entry::getValue).toList();
        // Retired before the listeners hear of it, so metrics can drop its series for good.
        gone.forEach(Backend::retire);
        routing.publish(compiled.table());
        applyConnectionPolicy(compiled.table());
        onPublish.accept(compiled.table());
        for (Backend backend : gone) {
            backend.keepConnections(false);
            closeIdleConnections.accept(backend);
        }
    }

    /** Backends out of rotation keep no idle connections; those in rotation do. */
    private void applyConnectionPolicy(RouteTable table) {
        Map<Backend, Boolean> keep = new HashMap<>();
        for (Pool pool : table.pools().values()) {
            for (PoolMember member : pool.members()) {
                keep.put(member.backend(), member.state() == AdminState.ACTIVE);
            }
        }
        for (Map.Entry<Backend, Boolean> entry : keep.entrySet()) {
            Backend backend = entry.getKey();
            backend.keepConnections(entry.getValue());
            if (!entry.getValue()) {
                closeIdleConnections.accept(backend);
            }
        }
    }

    private record Compiled(RouteTable table, Map<String, Backend> backends) {
    }

    /**
     * Builds a snapshot, reusing the {@link Backend} of every backend whose pool, id and address
     * are unchanged, so its in-flight count and pooled connections carry over.
     */
    private Compiled compile(RuntimeState next) {
        Map<String, Backend> nextBackends = new HashMap<>();
        Map<String, Pool> pools = new LinkedHashMap<>();
        next.pools().forEach((name, pool) -> {
            List<PoolMember> members = new ArrayList<>();
            for (BackendState b : pool.backends()) {
                String key = name + "/" + b.config().id();
                String address = b.config().address().toString();
                Backend existing = backends.get(key);
                Backend backend = existing;
                if (existing == null || !existing.address().equals(address)) {
                    backend = new Backend(name, b.config().id(), address, b.config().socketAddress());
                    // Added at runtime to a checked pool: no traffic until a probe says it is up.
                    backend.mustProveHealthy(b.addedAtRuntime() && pool.healthCheck() != null);
                }
                nextBackends.put(key, backend);
                members.add(PoolMember.of(backend, b.config().weight(), b.state()));
            }
            RetryBudget budget = retryBudgets.computeIfAbsent(name, n -> new RetryBudget(pool.resilience().retryBudgetPercent()));
            pools.put(name, new Pool(name, pool.balancer(), members, pool.healthCheck(), pool.resilience(), budget,
                    pool.transport(), System.nanoTime()));
        });
        List<Route> routes = next.routes().stream()
                .map(r -> new Route(r, pools))
                .toList();
        return new Compiled(new RouteTable(routes, pools), nextBackends);
    }

    // ---- lookups and views ------------------------------------------------------------------

    private PoolState statePool(String pool) {
        PoolState p = state.pools().get(pool);
        if (p == null) {
            throw ControlException.notFound("no pool named " + pool);
        }
        return p;
    }

    private BackendState stateBackend(String pool, String id) {
        BackendState b = statePool(pool).backend(id);
        if (b == null) {
            throw ControlException.notFound("pool " + pool + " has no backend " + id);
        }
        return b;
    }

    private Pool snapshotPool(String pool) {
        Pool p = routing.current().pools().get(pool);
        if (p == null) {
            throw ControlException.notFound("no pool named " + pool);
        }
        return p;
    }

    private PoolMember snapshotMember(String pool, String id) {
        for (PoolMember member : snapshotPool(pool).members()) {
            if (member.backend().id().equals(id)) {
                return member;
            }
        }
        throw ControlException.notFound("pool " + pool + " has no backend " + id);
    }

    private RouteView routeView(String route) {
        return routes().stream().filter(r -> r.name().equals(route)).findFirst().orElseThrow();
    }

    private static void requireWeight(int weight) {
        if (weight < 0 || weight > Limits.MAX_WEIGHT) {
            throw ControlException.badRequest("weight " + weight + " (expected: 0 to " + Limits.MAX_WEIGHT + ")");
        }
    }

    private PoolView view(Pool pool) {
        return new PoolView(pool.name(), pool.balancer().configName(),
                pool.members().stream().map(m -> view(pool.name(), m)).toList(),
                pool.healthCheck() == null ? null : pool.healthCheck().path());
    }

    /** In a fleet, {@code inflight} counts every instance's requests, and {@code fleet} shows them per instance. */
    private BackendView view(String pool, PoolMember member) {
        Backend b = member.backend();
        int inflight = b.inflight();
        Map<String, Integer> fleet = null;
        if (store.shared()) {
            fleet = new TreeMap<>(store.othersInflight(pool + "/" + b.id()));
            fleet.put(store.instance(), inflight);
            inflight = fleet.values().stream().mapToInt(Integer::intValue).sum();
        }
        return new BackendView(pool, b.id(), b.address(), member.weight(), member.state().displayName(inflight),
                member.health().displayName(), inflight, member.ejected(), fleet);
    }

    private static RouteView view(Route route) {
        return new RouteView(route.name(), route.host(), route.pathPrefix(), route.split());
    }
}
