package dev.turnout.proxy.control;

import dev.turnout.admin.BackendView;
import dev.turnout.admin.Change;
import dev.turnout.admin.ControlException;
import dev.turnout.admin.ControlPlane;
import dev.turnout.admin.HistoryView;
import dev.turnout.admin.InstanceView;
import dev.turnout.admin.PoolView;
import dev.turnout.admin.ReloadView;
import dev.turnout.admin.RolloutPlan;
import dev.turnout.admin.RolloutView;
import dev.turnout.admin.RouteView;
import dev.turnout.admin.TrafficView;
import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.config.Limits;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.control.RuntimeState.PoolState;
import dev.turnout.proxy.discovery.DiscoveredSet;
import dev.turnout.proxy.discovery.Endpoint;
import dev.turnout.proxy.policy.RoutePolicies;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.stats.LatencyReservoir;
import dev.turnout.proxy.stats.RequestTally;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
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
 *
 * <p>Snapshots are built by {@link SnapshotCompiler} (the one place pools are built) and read through
 * {@link SnapshotViews}; a configuration reload comes in through {@link #reconfigure}, which lays the
 * runtime changes over the new configuration ({@link RuntimeChanges}) and publishes it like any change.
 *
 * <p>It is the admin API's adapter: the state, the rollouts ({@link Rollout}) and the store's refusals are the data
 * plane's own, and become the API's views and {@link ControlException}s here ({@link RolloutViews}, {@link TrafficViews}).
 */
public final class RuntimeControl implements ControlPlane, StateStore.Listener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeControl.class);

    private final StateStore store;
    private final SnapshotCompiler compiler;
    private final SnapshotViews views;
    private final ControlCollaborators collaborators;
    private Consumer<RouteTable> onPublish = table -> { };
    private Consumer<Backend> onDrain = backend -> { };
    /** What the configuration in force says, before any runtime change: a reload tells the changes by it. */
    private RuntimeState configured;
    private RuntimeState state;
    /** Replaced whole under the lock; read without it by the views. */
    private volatile DiscoveredPools discovered = DiscoveredPools.NONE;
    /** The revision of {@link #state} in the store; read without the lock by the store's thread. */
    private volatile long revision;
    private boolean leading;
    private RolloutRunner rollouts;

    /**
     * Loads the saved state over the configuration, before any listener opens.
     *
     * @param closeIdleConnections closes the pooled idle connections of a backend that left rotation
     * @param collaborators        what admin calls beyond the routing state go to
     */
    public RuntimeControl(TurnoutConfig config, Consumer<Backend> closeIdleConnections, ControlCollaborators collaborators) {
        this.collaborators = collaborators;
        StateFile stateFile = config.stateFile() == null ? null : new StateFile(config.stateFile());
        this.store = config.state().shared() ? new EtcdStateStore(config.state().etcd(), stateFile)
                : new FileStateStore(stateFile);
        this.configured = RuntimeState.fromConfig(config);
        StateStore.Versioned loaded = store.load(configured);
        this.state = loaded.state();
        this.revision = loaded.revision();
        // Rate limits are shared out over the fleet's live instances.
        RoutePolicies policies = new RoutePolicies(store::liveInstances, System::nanoTime);
        this.compiler = new SnapshotCompiler(state, config.settings(), next -> discovered.over(next), policies,
                closeIdleConnections);
        this.views = new SnapshotViews(compiler.routing(), store, (pool, id) -> discovered.discovered(pool, id));
    }

    /** What the data plane reads. */
    public RoutingState routing() {
        return compiler.routing();
    }

    /** Called with every snapshot published from now on (the health checker follows the fleet). */
    public synchronized void onPublish(Consumer<RouteTable> listener) {
        this.onPublish = listener;
        listener.accept(routing().current());
    }

    @Override
    public TrafficView traffic() {
        return collaborators.traffic() == null ? null : TrafficViews.of(collaborators.traffic().get());
    }

    @Override
    public HistoryView history() {
        if (collaborators.history() == null) {
            throw ControlException.notFound("no history: turnout.metrics.enabled is false");
        }
        return TrafficViews.of(collaborators.history().get());
    }

    @Override
    public InstanceView instance() {
        return collaborators.instance() == null ? null : collaborators.instance().get();
    }

    @Override
    public int purgeCache(String prefix) {
        return collaborators.purgeCache() == null ? 0 : collaborators.purgeCache().applyAsInt(prefix);
    }

    @Override
    public int purgeCacheTags(Set<String> tags) {
        return collaborators.purgeCacheTags() == null ? 0 : collaborators.purgeCacheTags().applyAsInt(tags);
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
        routing().current().routes().forEach(route -> rollouts.watch(route.name()));
        state.rollouts().values().forEach(rollouts::show);
        Gauge.builder("turnout.state.store.up", store, s -> s.up() ? 1 : 0)
                .description("1 while the state store can be reached (always 1 for a file); 0: changes answer 503")
                .register(registry);
        store.start(this, true);
    }

    /** The running rollouts start judging here: at start alone, or when this instance is elected in a fleet. */
    private void resumeRollouts() {
        for (Rollout saved : List.copyOf(state.rollouts().values())) {
            if (!saved.running() || rollouts.scheduled(saved.route())) {
                continue;
            }
            String route = saved.route();
            Rollout resumed = RolloutJudge.resumed(saved, rollouts.now());
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
        for (Rollout saved : state.rollouts().values()) {
            if (saved.running()) {
                Rollout aborted = RolloutJudge.aborted(saved, reason, now());
                apply(state.withSplit(saved.route(), aborted.split()).withRollout(saved.route(), aborted),
                        () -> RolloutViews.of(aborted));
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
        Rollout current = state.rollouts().get(route);
        if (current != null && current.running()) {
            throw ControlException.conflict("a rollout from " + current.from() + " to " + current.to()
                    + " is running on route " + route + "; abort it first (DELETE .../rollout)");
        }
        int inRotationTo = inRotation(plan.to());
        if (inRotationTo == 0) {
            throw ControlException.conflict("pool " + plan.to() + " has no backend in rotation");
        }
        Rollout started = RolloutJudge.start(route, RolloutViews.plan(plan), inRotation(plan.from()), inRotationTo,
                rollouts.now());
        apply(state.withSplit(route, started.split()).withRollout(route, started),
                () -> RolloutViews.of(state.rollouts().get(route)));
        if (leading) {
            rollouts.beginInterval(started, this::judgeRollout);
        } else {
            rollouts.show(started);
        }
        return RolloutViews.of(started);
    }

    @Override
    public synchronized RolloutView rollout(String route) {
        return RolloutViews.of(savedRollout(route));
    }

    /** The route's current or last rollout; NOT_FOUND if it never had one. */
    private Rollout savedRollout(String route) {
        Rollout rollout = state.rollouts().get(route);
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
        Rollout current = savedRollout(route);
        if (!current.running()) {
            throw ControlException.conflict("no rollout is running on route " + route + " (the last one is " + current.state()
                    + ")");
        }
        Rollout aborted = RolloutJudge.aborted(current, "aborted by an operator", now());
        apply(state.withSplit(route, aborted.split()).withRollout(route, aborted), () -> rollout(route));
        if (rollouts != null) {
            rollouts.ended(aborted);
        }
        return RolloutViews.of(aborted);
    }

    /** The end of a rollout's interval, on the scheduler thread. */
    private synchronized void judgeRollout(String route) {
        Rollout current = state.rollouts().get(route);
        if (current == null || !current.running() || !leading) {
            return;
        }
        try {
            Rollout judged = rollouts.judge(current, inRotation(current.from()), inRotation(current.to()));
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
            Rollout now = state.rollouts().get(route);
            if (now != null && now.running() && leading) {
                rollouts.extendInterval(now, this::judgeRollout);
            }
        }
    }

    private String now() {
        return rollouts != null ? rollouts.now() : Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    }

    private int inRotation(String pool) {
        Pool p = routing().current().pools().get(pool);
        return p == null ? 0 : (int) p.members().stream().filter(PoolMember::inRotation).count();
    }

    /**
     * Publishes a snapshot of the current state again, taking in the backends' observed health
     * (a health flip, an ejection). Not saved: health is observed, not operator intent. Called
     * from the health thread, never from an event loop.
     */
    public synchronized void refresh() {
        compiler.publish(compiler.compile(state), onPublish);
    }

    // ---- reload -----------------------------------------------------------------------------

    /** The process's {@link ConfigReloader} reads and checks the configuration, then calls {@link #reconfigure}. */
    @Override
    public ReloadView reloadConfiguration() {
        if (collaborators.reload() == null) {
            throw ControlException.conflict("this Turnout was started without a configuration to read again");
        }
        return collaborators.reload().get();
    }

    /**
     * Puts a new configuration's pools, routes and settings in force in one snapshot, with the runtime changes
     * that still fit laid over them ({@link RuntimeChanges}). Backends that remain keep their objects
     * (connections, counters, health); rollouts that no longer fit stop. Alone, the new state is saved to the
     * state file, so that a restart routes as this does; in a fleet nothing is written to the shared store, so a
     * reload never overwrites the fleet's runtime state: this instance lays the fleet's changes over its own
     * file, as it does for every change that arrives.
     */
    synchronized Reconfigured reconfigure(TurnoutConfig config) {
        RuntimeState nextConfigured = RuntimeState.fromConfig(config);
        RuntimeChanges.Reapplied reapplied = RuntimeChanges.reapply(state, configured, nextConfigured);
        RuntimeState next = reapplied.state();
        SnapshotCompiler.Compiled compiled = compiler.compile(next, config.settings());
        if (!store.shared()) {
            revision = store.commit(next, revision);
        }
        store.reconfigure(nextConfigured);
        RuntimeState previous = state;
        configured = nextConfigured;
        publish(next, compiled);
        if (rollouts != null) {
            next.routes().forEach(route -> rollouts.watch(route.name()));
            previous.rollouts().forEach((route, rollout) -> {
                if (!next.rollouts().containsKey(route)) {
                    rollouts.dropped(rollout, pool -> next.route(route) != null && next.pools().containsKey(pool));
                }
            });
        }
        return new Reconfigured(StateChanges.between(previous, next), reapplied.dropped());
    }

    /** What a reload changed in the routing state, and the runtime changes it dropped. */
    record Reconfigured(StateChanges changes, List<String> dropped) {
    }

    /**
     * What DNS announces for a discovery pool now, on the control thread: new addresses join, vanished ones drain as
     * an admin drain does and leave once nothing is in flight to them ({@code controlThread} removes them). Published,
     * never saved: each instance resolves on its own.
     */
    public synchronized void discovered(String pool, List<Endpoint> announced, Executor controlThread) {
        PoolState discovering = state.pools().get(pool);
        DiscoveredSet before = discovered.set(pool);
        DiscoveredSet after = before.next(announced);
        if (discovering == null || discovering.discovery() == null || after.equals(before)) {
            return;
        }
        discovered = discovered.with(pool, after);
        after.returnedSince(before).forEach(id -> compiler.backend(pool, id).startRamp(System.nanoTime()));
        publish(state, compiler.compile(state));
        LOG.info("discovery of pool {}: {} announces {} addresses; joined {}, returned {}, vanished (draining) {}", pool,
                discovering.discovery().name(), announced.size(), after.joinedSince(before), after.returnedSince(before),
                after.vanishedSince(before));
        for (String id : after.vanishedSince(before)) {
            Backend leaving = compiler.backend(pool, id);
            onDrain.accept(leaving);
            leaving.whenIdle().thenRunAsync(() -> leave(pool, id, leaving), controlThread);
        }
    }

    /** A vanished address with nothing in flight leaves its pool, with any admin change kept for it. */
    private synchronized void leave(String pool, String id, Backend backend) {
        if (compiler.backend(pool, id) != backend || !discovered.set(pool).vanished(id)) {
            return; // announced again meanwhile
        }
        discovered = discovered.with(pool, discovered.set(pool).without(id));
        LOG.info("discovery of pool {}: {} is no longer announced and has nothing in flight: removed", pool, id);
        PoolState kept = state.pools().get(pool);
        if (kept != null && kept.backend(id) != null && kept.backend(id).origin() == Origin.DISCOVERED) {
            try {
                apply(state.withoutBackend(pool, id), () -> null);
                return;
            } catch (RuntimeException e) {
                LOG.warn("discovery of pool {}: the admin change kept for {} could not be dropped ({})", pool, id,
                        e.getMessage());
            }
        }
        publish(state, compiler.compile(state));
    }

    // ---- reads ------------------------------------------------------------------------------

    @Override
    public List<PoolView> pools() {
        return views.pools();
    }

    @Override
    public PoolView pool(String pool) {
        return views.pool(pool);
    }

    @Override
    public BackendView backend(String pool, String id) {
        return views.backend(pool, id);
    }

    @Override
    public List<RouteView> routes() {
        return views.routes();
    }

    @Override
    public CompletionStage<Void> whenIdle(String pool, String id) {
        CompletionStage<Void> local = views.member(pool, id).backend().whenIdle();
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
        if (current.discovery() != null) {
            throw ControlException.conflict("pool " + pool + " discovers its backends: they are what "
                    + current.discovery().name() + " resolves to");
        }
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
        apply(state.withBackend(pool, new BackendState(config, AdminState.ACTIVE, Origin.RUNTIME)), () -> backend(pool, id));
        return new Change<>(null, backend(pool, id));
    }

    @Override
    public synchronized Change<BackendView> removeBackend(String pool, String id, boolean force) {
        BackendView before = backend(pool, id);
        if (before.discovered()) {
            throw ControlException.conflict(pool + "/" + id + " was discovered: it leaves when DNS no longer announces it; "
                    + "drain it to take it out of rotation");
        }
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
        Backend drained = compiler.backend(pool, id);
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
        Backend backend = compiler.backend(pool, id);
        if (backend != null && stateBackend(pool, id).state() != AdminState.ACTIVE) {
            backend.startRamp(System.nanoTime());
        }
        return changeState(pool, id, AdminState.ACTIVE);
    }

    @Override
    public synchronized Change<BackendView> setWeight(String pool, String id, int weight) {
        BackendView before = backend(pool, id);
        requireWeight(weight);
        apply(discovered.withChange(state, pool, stateBackend(pool, id).withWeight(weight)), () -> backend(pool, id));
        return new Change<>(before, backend(pool, id));
    }

    @Override
    public synchronized Change<RouteView> setSplit(String route, Map<String, Integer> split) {
        if (state.route(route) == null) {
            throw ControlException.notFound("no route named " + route);
        }
        Rollout rollout = state.rollouts().get(route);
        if (rollout != null && rollout.running()) {
            throw ControlException.conflict("a rollout is running on route " + route + " and owns its split; abort it first "
                    + "(DELETE /api/v1/routes/" + route + "/rollout)");
        }
        String problem = Limits.splitProblem(split, state.pools().keySet());
        if (problem != null) {
            throw ControlException.badRequest("split " + split + ": " + problem);
        }
        RouteView before = views.route(route);
        apply(state.withSplit(route, split), () -> views.route(route));
        return new Change<>(before, views.route(route));
    }

    private Change<BackendView> changeState(String pool, String id, AdminState next) {
        BackendView before = backend(pool, id);
        apply(discovered.withChange(state, pool, stateBackend(pool, id).withState(next)), () -> backend(pool, id));
        return new Change<>(before, backend(pool, id));
    }

    /**
     * Commits {@code next} at the revision it was validated against, then publishes it. When
     * another instance changed the state first, its state is applied instead and the caller gets
     * a conflict showing {@code current}: the object the change was about, as it now stands. When
     * the store cannot be reached, nothing changes and the caller gets UNAVAILABLE (503).
     */
    private void apply(RuntimeState next, Supplier<Object> current) {
        SnapshotCompiler.Compiled compiled = compiler.compile(next);
        try {
            revision = store.commit(next, revision);
        } catch (StateStore.Unavailable unreachable) {
            throw ControlException.unavailable(unreachable.getMessage());
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
        for (Pool pool : routing().current().pools().values()) {
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
        SnapshotCompiler.Compiled compiled = compiler.compile(next);
        revision = shared.revision();
        publish(next, compiled);
        next.pools().forEach((name, pool) -> {
            RuntimeState.PoolState before = previous.pools().get(name);
            for (BackendState b : pool.backends()) {
                BackendState was = before == null ? null : before.backend(b.config().id());
                Backend backend = compiler.backend(name, b.config().id());
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
        for (Rollout rollout : next.rollouts().values()) {
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

    private void publish(RuntimeState next, SnapshotCompiler.Compiled compiled) {
        state = next;
        compiler.publish(compiled, onPublish);
    }

    // ---- lookups and views ------------------------------------------------------------------

    /** A pool as the admin API sees it: with its discovered backends. */
    private PoolState statePool(String pool) {
        PoolState p = discovered.intentOver(state).pools().get(pool);
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

    private static void requireWeight(int weight) {
        if (weight < 0 || weight > Limits.MAX_WEIGHT) {
            throw ControlException.badRequest("weight " + weight + " (expected: 0 to " + Limits.MAX_WEIGHT + ")");
        }
    }
}
