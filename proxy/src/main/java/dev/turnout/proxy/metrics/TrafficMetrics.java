package dev.turnout.proxy.metrics;

import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Health;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.pool.RetryReason;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.stats.LatencyReservoir;
import dev.turnout.proxy.stats.RequestTally;
import dev.turnout.proxy.stats.SampledWindow;
import dev.turnout.proxy.stats.TrafficHistory;
import dev.turnout.proxy.stats.TrafficSummary;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToDoubleFunction;

/**
 * Turnout's Prometheus metrics (SPEC's names and labels).
 *
 * <p>The hot path calls {@link #record} once per exchange: it finds meters already resolved for
 * its route, pool and backend (map lookups, no meter built, no tags allocated) and counts. Every
 * deploy-state meter (backend state, weight, health, connections, split shares) is a gauge read
 * at scrape time from the routing snapshot, so nothing is pushed when state changes. Meters are
 * registered when a backend, pool or route appears in a published snapshot and removed when the
 * backend goes, so labels stay bounded by the fleet.
 *
 * <p>For the status page it also keeps running totals per backend (a {@link RequestTally} beside each
 * backend's counters) and, sampled once a second off the hot path, the last seconds of every pool's and
 * backend's totals, from which {@link #traffic} reads a recent p95.
 */
public final class TrafficMetrics implements AutoCloseable {

    /** Label value for a part of the exchange that never existed (no route, no backend). */
    public static final String NONE = "none";
    private static final Duration[] DURATION_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(60)};
    private static final int STATUS_SLOTS = 600;
    /** How far back the status page's p95s look. */
    private static final int P95_WINDOW_SECONDS = 5;

    /**
     * Keeps {@code promtool check metrics} clean of the binders' few lapses: a CPU time counted in
     * nanoseconds (Prometheus wants seconds; {@code process_cpu_usage} remains), a gauge named
     * {@code _count}, and Netty meters without help text.
     */
    private static final MeterFilter PROMTOOL_CLEAN = new MeterFilter() {
        @Override
        public MeterFilterReply accept(Meter.Id id) {
            return id.getName().equals("process.cpu.time") ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
        }

        @Override
        public Meter.Id map(Meter.Id id) {
            return switch (id.getName()) {
                case "system.cpu.count" -> id.withName("system.processors");
                case "netty.allocator.memory.used" -> described(id, "Memory held by the Netty buffer allocator");
                case "netty.eventexecutor.tasks.pending" -> described(id, "Tasks waiting on each event loop");
                default -> id;
            };
        }

        private Meter.Id described(Meter.Id id, String description) {
            return id.getDescription() != null && !id.getDescription().isBlank() ? id
                    : new Meter.Id(id.getName(), Tags.of(id.getTags()), id.getBaseUnit(), description, id.getType());
        }
    };

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RoutingState routing;
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private final ConcurrentHashMap<String, RouteMeters> byRoute = new ConcurrentHashMap<>();
    private final Map<ResponseCache.Result, Counter> cacheResults = new HashMap<>();
    // Registered per backend object, per pool name and per route and pool; guarded by "this".
    private final Map<Backend, List<Meter>> backendMeters = new IdentityHashMap<>();
    // By pool name, and by route and pool: removed when a reload takes the pool or the route's share away.
    private final Map<String, List<Meter>> poolMeters = new HashMap<>();
    private final Map<String, Meter> splitGauges = new HashMap<>();
    private final Set<String> rateLimitsWatched = new HashSet<>();
    // The status page's recent figures, replaced whole at each sample; guarded by recentLock.
    private final Object recentLock = new Object();
    private Map<String, SampledWindow> recentByPool = Map.of();
    private Map<Member, SampledWindow> recentByBackend = Map.of();
    private final TrafficHistory history = new TrafficHistory();

    public TrafficMetrics(RoutingState routing, Iterable<EventExecutor> eventLoops) {
        this.routing = routing;
        registry.config().meterFilter(PROMTOOL_CLEAN);
        for (ResponseCache.Result result : ResponseCache.Result.values()) {
            cacheResults.put(result, Counter.builder("turnout.cache.requests")
                    .description("Requests on cached routes by how the cache served them")
                    .tag("result", result.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider allocator) {
            new NettyAllocatorMetrics(allocator).bindTo(registry);
        }
        new NettyEventExecutorMetrics(eventLoops).bindTo(registry);
        follow(routing.current());
    }

    /**
     * Counts one finished exchange.
     *
     * @param route   null when no route matched
     * @param pool    null when none was chosen
     * @param backend null when no backend was picked
     */
    public void record(Route route, Pool pool, Backend backend, int status, long durationNanos) {
        PoolMeters poolMeters = route(route == null ? NONE : route.name()).pool(pool == null ? NONE : pool.name());
        poolMeters.duration.record(durationNanos, TimeUnit.NANOSECONDS);
        if (pool != null) {
            poolMeters.tally.record(status, durationNanos);
            poolMeters.latencies.record(durationNanos);
        }
        if (backend == null) {
            poolMeters.backend(NONE).count(status);
        } else if (!backend.retired()) {
            // A removed backend's series are gone; its last requests must not bring them back.
            StatusCounters counters = poolMeters.backend(backend.id());
            counters.count(status);
            counters.tally.record(status, durationNanos);
        }
    }

    /** Counts how the cache served one request. */
    public void cacheResult(ResponseCache.Result result) {
        cacheResults.get(result).increment();
    }

    /** The running totals of {@code route}'s requests to {@code pool}, for rollouts. */
    public RequestTally tally(String route, String pool) {
        return route(route).pool(pool).tally;
    }

    /** The sample of {@code route}'s request durations to {@code pool} since a rollout's interval began. */
    public LatencyReservoir latencies(String route, String pool) {
        return route(route).pool(pool).latencies;
    }

    /**
     * Keeps the totals of this moment, from which {@link #traffic} reads the last seconds and {@link #history}
     * the last minutes; call once a second.
     */
    public void sampleRecent() {
        Totals now = totals();
        synchronized (recentLock) {
            recentByPool = sampled(recentByPool, now.pools());
            recentByBackend = sampled(recentByBackend, now.backends());
        }
        Map<String, RequestTally.Snapshot> backends = new HashMap<>();
        now.backends().forEach((member, total) -> backends.put(member.pool() + "/" + member.id(), total));
        history.sample(System.currentTimeMillis(), now.pools(), backends);
    }

    /** The samples {@link #sampleRecent} kept: the last 15 minutes, one a second. */
    public TrafficHistory.Samples history() {
        return history.samples();
    }

    /** Answers served from the cache, fresh or stale, among all requests on cached routes; null before the first. */
    public Double cacheHitRatio() {
        double all = 0;
        for (Counter counter : cacheResults.values()) {
            all += counter.count();
        }
        double served = cacheResults.get(ResponseCache.Result.HIT).count() + cacheResults.get(ResponseCache.Result.STALE).count();
        return all == 0 ? null : served / all;
    }

    private static <K> Map<K, SampledWindow> sampled(Map<K, SampledWindow> previous, Map<K, RequestTally.Snapshot> now) {
        // Only what the routing snapshot still holds: a removed pool or backend drops out.
        Map<K, SampledWindow> next = new HashMap<>();
        now.forEach((key, snapshot) -> {
            SampledWindow window = previous.get(key);
            if (window == null) {
                window = new SampledWindow(P95_WINDOW_SECONDS);
            }
            window.add(snapshot);
            next.put(key, window);
        });
        return next;
    }

    /** Every pool's and backend's totals, over every route, with the p95 of the last few seconds. */
    public TrafficSummary traffic() {
        Totals now = totals();
        Map<String, TrafficSummary.Figures> pools = new LinkedHashMap<>();
        Map<String, Map<String, TrafficSummary.Figures>> backends = new LinkedHashMap<>();
        synchronized (recentLock) {
            now.pools().forEach((pool, total) -> {
                pools.put(pool, figures(total, recentByPool.get(pool)));
                backends.put(pool, new LinkedHashMap<>());
            });
            now.backends().forEach((member, total) -> backends.get(member.pool())
                    .put(member.id(), figures(total, recentByBackend.get(member))));
        }
        return new TrafficSummary(P95_WINDOW_SECONDS, pools, backends);
    }

    private static TrafficSummary.Figures figures(RequestTally.Snapshot total, SampledWindow window) {
        RequestTally.Snapshot recent = window == null ? total : window.recent(total);
        return new TrafficSummary.Figures(total.requests(), total.serverErrors(),
                recent.requests() == 0 ? null : recent.percentileSeconds(0.95));
    }

    /** A backend by pool and id, as the status page names it. */
    private record Member(String pool, String id) {
    }

    /** Running totals per pool and per backend of the current routing snapshot, summed over routes. */
    private record Totals(Map<String, RequestTally.Snapshot> pools, Map<Member, RequestTally.Snapshot> backends) {
    }

    private Totals totals() {
        Map<String, RequestTally.Snapshot> pools = new LinkedHashMap<>();
        Map<Member, RequestTally.Snapshot> backends = new LinkedHashMap<>();
        for (Pool pool : routing.current().pools().values()) {
            pools.put(pool.name(), RequestTally.Snapshot.EMPTY);
            for (PoolMember member : pool.members()) {
                backends.put(new Member(pool.name(), member.backend().id()), RequestTally.Snapshot.EMPTY);
            }
        }
        for (RouteMeters routeMeters : byRoute.values()) {
            routeMeters.pools.forEach((poolName, poolMeters) -> {
                pools.computeIfPresent(poolName, (name, sum) -> sum.plus(poolMeters.tally.snapshot()));
                poolMeters.byBackend.forEach((id, counters) -> backends.computeIfPresent(new Member(poolName, id),
                        (member, sum) -> sum.plus(counters.tally.snapshot())));
            });
        }
        return new Totals(pools, backends);
    }

    private RouteMeters route(String name) {
        RouteMeters meters = byRoute.get(name);
        return meters != null ? meters : byRoute.computeIfAbsent(name, RouteMeters::new);
    }

    /** Watches the cache's size. */
    public void watch(ResponseCache cache) {
        Gauge.builder("turnout.cache.size", cache, ResponseCache::weight).baseUnit("bytes")
                .description("Bytes held by the response cache").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * Registers meters for what a newly published snapshot brought (backends, pools, split
     * entries) and removes those of backends that left. Called on every publish.
     */
    public synchronized void follow(RouteTable table) {
        Set<Backend> present = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Pool pool : table.pools().values()) {
            String poolName = pool.name();
            poolMeters.computeIfAbsent(poolName, name -> {
                List<Meter> meters = new ArrayList<>();
                for (RetryReason reason : RetryReason.values()) {
                    meters.add(FunctionCounter.builder("turnout.retries", this, m -> m.retries(name, reason))
                            .description("Requests sent again after their backend failed before answering, by why")
                            .tag("pool", name).tag("reason", reason.label()).register(registry));
                }
                return meters;
            });
            for (PoolMember member : pool.members()) {
                present.add(member.backend());
                backendMeters.computeIfAbsent(member.backend(), this::registerBackend);
            }
        }
        for (var it = backendMeters.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!present.contains(entry.getKey())) {
                entry.getValue().forEach(registry::remove);
                it.remove();
            }
        }
        Map<String, Set<String>> liveIds = new HashMap<>();
        present.forEach(b -> liveIds.computeIfAbsent(b.poolName(), p -> new HashSet<>()).add(b.id()));
        for (RouteMeters routeMeters : byRoute.values()) {
            routeMeters.pools.forEach((poolName, poolMeters) -> poolMeters.retainBackends(
                    liveIds.getOrDefault(poolName, Set.of())));
        }
        Set<String> splits = new HashSet<>();
        for (Route route : table.routes()) {
            String routeName = route.name();
            if (rateLimitsWatched.add(routeName)) {
                FunctionCounter.builder("turnout.rate.limited", this, m -> m.rateLimited(routeName))
                        .description("Requests the route's rate limit refused with 429 (every route has it, at 0 without one)")
                        .tag("route", routeName).register(registry);
            }
            for (String poolName : route.split().keySet()) {
                splits.add(routeName + '\n' + poolName);
                splitGauges.computeIfAbsent(routeName + '\n' + poolName, key -> Gauge.builder("turnout.route.split.percent",
                                this, m -> m.splitShare(routeName, poolName))
                        .description("The share of the route's requests sent to the pool, in percent")
                        .tags("route", routeName, "pool", poolName).register(registry));
            }
        }
        // A reload removed them: their series go (a pool's retries resume from its running totals if it returns).
        splitGauges.entrySet().removeIf(e -> {
            if (splits.contains(e.getKey())) {
                return false;
            }
            registry.remove(e.getValue());
            return true;
        });
        poolMeters.entrySet().removeIf(e -> {
            if (table.pools().containsKey(e.getKey())) {
                return false;
            }
            e.getValue().forEach(registry::remove);
            return true;
        });
    }

    private List<Meter> registerBackend(Backend backend) {
        Tags tags = Tags.of("pool", backend.poolName(), "backend", backend.id());
        List<Meter> meters = new ArrayList<>();
        meters.add(gauge("turnout.backend.inflight", "Requests in flight on the backend", tags, backend,
                Backend::inflight));
        meters.add(gauge("turnout.backend.up", "1 when the backend's health lets it take requests, else 0", tags, backend,
                b -> b.healthAllowsTraffic() ? 1 : 0));
        meters.add(gauge("turnout.backend.ejected", "1 while passive ejection keeps the backend out", tags, backend,
                b -> b.ejected() ? 1 : 0));
        meters.add(gauge("turnout.backend.weight", "The backend's weight in its pool", tags, backend,
                b -> member(b) == null ? 0 : member(b).weight()));
        meters.add(gauge("turnout.backend.connections", "Open connections to the backend", tags, backend,
                Backend::openConnections));
        for (String state : List.of("active", "draining", "drained", "disabled")) {
            meters.add(gauge("turnout.backend.state", "1 for the backend's admin state, else 0", tags.and("state", state),
                    backend, b -> state.equals(displayState(b)) ? 1 : 0));
        }
        for (Health health : Health.values()) {
            String name = health.displayName();
            meters.add(gauge("turnout.backend.health", "1 for the backend's health-check verdict, else 0",
                    tags.and("health", name), backend, b -> b.health() == health ? 1 : 0));
        }
        for (boolean passed : new boolean[] {true, false}) {
            meters.add(FunctionCounter.builder("turnout.health.checks", backend, b -> b.healthChecks(passed))
                    .description("Active health checks by result").tags(tags.and("result", passed ? "success" : "failure"))
                    .register(registry));
        }
        meters.add(FunctionCounter.builder("turnout.backend.ejections", backend, Backend::ejections)
                .description("Times passive ejection took the backend out").tags(tags).register(registry));
        return meters;
    }

    private Meter gauge(String name, String description, Tags tags, Backend backend, ToDoubleFunction<Backend> value) {
        return Gauge.builder(name, backend, value).description(description).tags(tags).strongReference(true)
                .register(registry);
    }

    private PoolMember member(Backend backend) {
        Pool pool = routing.current().pools().get(backend.poolName());
        if (pool != null) {
            for (PoolMember member : pool.members()) {
                if (member.backend() == backend) {
                    return member;
                }
            }
        }
        return null;
    }

    private String displayState(Backend backend) {
        PoolMember member = member(backend);
        return member == null ? "" : member.state().displayName(backend.inflight());
    }

    private double retries(String pool, RetryReason reason) {
        Pool current = routing.current().pools().get(pool);
        return current == null ? 0 : current.retryBudget().retries(reason);
    }

    private double rateLimited(String routeName) {
        for (Route route : routing.current().routes()) {
            if (route.name().equals(routeName)) {
                return route.policy() == null ? 0 : Math.max(0, route.policy().rateLimited());
            }
        }
        return 0;
    }

    private double splitShare(String routeName, String pool) {
        for (Route route : routing.current().routes()) {
            if (route.name().equals(routeName)) {
                return route.split().getOrDefault(pool, 0);
            }
        }
        return 0;
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }

    /** A route's meters, per pool. */
    private final class RouteMeters {

        private final String route;
        private final ConcurrentHashMap<String, PoolMeters> pools = new ConcurrentHashMap<>();

        RouteMeters(String route) {
            this.route = route;
        }

        PoolMeters pool(String pool) {
            PoolMeters meters = pools.get(pool);
            return meters != null ? meters : pools.computeIfAbsent(pool, p -> new PoolMeters(route, p));
        }
    }

    /** One route's meters for one pool: durations, the rollout tally and latency sample, and request counts per backend. */
    private final class PoolMeters {

        private final String route;
        private final String pool;
        private final Timer duration;
        private final RequestTally tally = new RequestTally();
        private final LatencyReservoir latencies = new LatencyReservoir();
        private final ConcurrentHashMap<String, StatusCounters> byBackend = new ConcurrentHashMap<>();

        PoolMeters(String route, String pool) {
            this.route = route;
            this.pool = pool;
            this.duration = Timer.builder("turnout.request.duration")
                    .description("Time from a request's first byte to the end of its answer")
                    .tags("route", route, "pool", pool)
                    .serviceLevelObjectives(DURATION_BUCKETS)
                    .register(registry);
        }

        StatusCounters backend(String id) {
            StatusCounters counters = byBackend.get(id);
            return counters != null ? counters : byBackend.computeIfAbsent(id, b -> new StatusCounters(route, pool, b));
        }

        void retainBackends(Set<String> live) {
            byBackend.entrySet().removeIf(entry -> {
                boolean gone = !entry.getKey().equals(NONE) && !live.contains(entry.getKey());
                if (gone) {
                    entry.getValue().remove();
                }
                return gone;
            });
        }
    }

    /**
     * Request counters of one (route, pool, backend), one per status code, made on first use; and their
     * running totals for the status page.
     */
    private final class StatusCounters {

        private final Tags tags;
        private final RequestTally tally = new RequestTally();
        private final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(STATUS_SLOTS);

        StatusCounters(String route, String pool, String backend) {
            this.tags = Tags.of("route", route, "pool", pool, "backend", backend);
        }

        void count(int status) {
            int slot = status > 0 && status < STATUS_SLOTS ? status : 0;
            Counter counter = byStatus.get(slot);
            if (counter == null) {
                // Registering the same id twice returns the same counter, so a race is harmless.
                counter = Counter.builder("turnout.requests").description("Requests answered, by status")
                        .tags(tags.and("status", slot == 0 ? "other" : Integer.toString(slot))).register(registry);
                byStatus.set(slot, counter);
            }
            counter.increment();
        }

        void remove() {
            for (int i = 0; i < STATUS_SLOTS; i++) {
                Counter counter = byStatus.get(i);
                if (counter != null) {
                    registry.remove(counter);
                }
            }
        }
    }
}
