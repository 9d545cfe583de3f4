package dev.turnout.proxy.health;

import dev.turnout.proxy.config.HealthCheckConfig;
import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Health;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.upstream.ProbeOutcome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks: every backend of a pool with a {@code health-check} gets an HTTP GET of
 * the path every interval, less up to 10 % jitter so probes across backends never fall into
 * lockstep. Results feed each backend's {@link HealthTracker}; a flip sets the backend's health
 * and asks for a new routing snapshot.
 *
 * <p>Everything here runs on one health thread (the executor), which also owns the trackers. The
 * probes of a plain HTTP/1.1 pool are asynchronous calls of the JDK's HTTP client and never touch
 * the data plane's event loops; those of a pool with TLS, HTTP/2 or a gRPC check go through the
 * {@link Prober}, over a connection made as the pool's requests are, on an event loop.
 */
public final class HealthChecker {

    private static final Logger LOG = LoggerFactory.getLogger(HealthChecker.class);

    private final ScheduledExecutorService executor;
    private final HttpClient client;
    private final LongSupplier nanoClock;
    private final Runnable onHealthChange;
    private final Map<Backend, Probe> probes = new HashMap<>();
    private final Prober prober;

    /** Probes a backend over the pool's own kind of connection (see {@code UpstreamConnector#probe}). */
    @FunctionalInterface
    public interface Prober {
        CompletableFuture<ProbeOutcome> probe(PoolTransport transport, Backend backend, HealthCheckConfig check);
    }

    public HealthChecker(ScheduledExecutorService executor, LongSupplier nanoClock, Runnable onHealthChange, Prober prober) {
        this.executor = executor;
        this.nanoClock = nanoClock;
        this.onHealthChange = onHealthChange;
        this.prober = prober;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Follows a new snapshot: probes start for new backends and stop for those gone, and restart for a pool whose
     * health check a reload changed. A backend whose pool no longer has a check goes back to unknown health, in
     * rotation by its admin state alone, as in a pool that never had one.
     */
    public void follow(RouteTable table) {
        executor.execute(() -> reconcile(table));
    }

    private void reconcile(RouteTable table) {
        Map<Backend, Pool> wanted = new HashMap<>();
        for (Pool pool : table.pools().values()) {
            if (pool.healthCheck() != null) {
                for (PoolMember member : pool.members()) {
                    wanted.put(member.backend(), pool);
                }
            }
        }
        Set<Backend> inTable = new HashSet<>();
        table.pools().values().forEach(pool -> pool.members().forEach(member -> inTable.add(member.backend())));
        boolean healthReset = false;
        for (Iterator<Map.Entry<Backend, Probe>> it = probes.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Backend, Probe> e = it.next();
            Pool pool = wanted.get(e.getKey());
            // Compared by value: a reload that leaves a pool's check and transport as they were keeps its probes going.
            if (pool != null && pool.healthCheck().equals(e.getValue().config)
                    && pool.transport().equals(e.getValue().transport)) {
                continue;
            }
            e.getValue().cancel();
            it.remove();
            Backend backend = e.getKey();
            if (pool == null && inTable.contains(backend) && (backend.health() != Health.UNKNOWN
                    || backend.mustProveHealthy())) {
                backend.health(Health.UNKNOWN);
                backend.mustProveHealthy(false);
                healthReset = true;
            }
        }
        wanted.forEach((backend, pool) -> probes.computeIfAbsent(backend, b -> new Probe(b, pool.healthCheck(),
                pool.transport())));
        if (healthReset) {
            onHealthChange.run();
        }
    }

    /** The probe loop of one backend. */
    private final class Probe {

        private final Backend backend;
        private final HealthCheckConfig config;
        private final PoolTransport transport;
        private final HealthTracker tracker;
        private final HttpRequest request;
        private ScheduledFuture<?> next;
        private boolean cancelled;

        Probe(Backend backend, HealthCheckConfig config, PoolTransport transport) {
            this.backend = backend;
            this.config = config;
            this.transport = transport;
            this.tracker = new HealthTracker(config.healthyThreshold(), config.unhealthyThreshold(), backend.health(),
                    nanoClock.getAsLong());
            this.request = HttpRequest.newBuilder(URI.create("http://" + backend.address() + config.path()))
                    .timeout(config.timeout())
                    .header("User-Agent", "turnout-health-check")
                    .GET().build();
            // The first probe at a random point of the first interval spreads a pool's probes.
            schedule(ThreadLocalRandom.current().nextLong(Math.max(1, config.interval().toNanos())));
        }

        private void schedule(long delayNanos) {
            if (!cancelled) {
                next = executor.schedule(this::probe, delayNanos, TimeUnit.NANOSECONDS);
            }
        }

        private void probe() {
            CompletableFuture<ProbeOutcome> outcome;
            if (transport.equals(PoolTransport.PLAIN_HTTP1) && !config.grpc()) {
                outcome = client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                        .thenApply(response -> new ProbeOutcome(config.accepts(response.statusCode()),
                                "status " + response.statusCode()));
            } else {
                outcome = prober.probe(transport, backend, config);
            }
            outcome.orTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .whenCompleteAsync((result, failure) -> {
                        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause() : failure;
                        record(failure == null && result.passed(), cause != null ? String.valueOf(cause) : result.detail());
                        // Jitter shortens, never lengthens, the interval: a dead backend is still
                        // found within interval x unhealthy-threshold.
                        long interval = config.interval().toNanos();
                        schedule(interval - ThreadLocalRandom.current().nextLong(Math.max(1, interval / 10)));
                    }, executor);
        }

        private void record(boolean good, String detail) {
            Health before = tracker.health();
            if (!cancelled) {
                backend.healthChecked(good);
            }
            if (cancelled || !tracker.record(good, nanoClock.getAsLong())) {
                return;
            }
            backend.health(tracker.health());
            if (tracker.health() == Health.UP) {
                // Slow start for a backend coming back or brand new, not for the fleet found up at start.
                if (before == Health.DOWN || backend.mustProveHealthy()) {
                    backend.startRamp(tracker.changedAtNanos());
                }
                backend.mustProveHealthy(false);
                // Passive ejection's other way back: probes that pass again end it early.
                backend.ejected(false);
            }
            LOG.warn("backend {} is now {} ({})", backend, tracker.health().displayName(), detail);
            onHealthChange.run();
        }

        void cancel() {
            cancelled = true;
            if (next != null) {
                next.cancel(false);
            }
        }
    }
}
