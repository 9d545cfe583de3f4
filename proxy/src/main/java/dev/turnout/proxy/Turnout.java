package dev.turnout.proxy;

import dev.turnout.admin.AdminServer;
import dev.turnout.admin.AdminSettings;
import dev.turnout.admin.ControlPlane;
import dev.turnout.admin.ControlException;
import dev.turnout.admin.InstanceView;
import dev.turnout.admin.ReloadView;
import dev.turnout.proxy.accesslog.AccessLog;
import dev.turnout.proxy.accesslog.FileAccessLog;
import dev.turnout.proxy.accesslog.LineFormat;
import dev.turnout.proxy.accesslog.LoggerAccessLog;
import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.config.AccessLogConfig;
import dev.turnout.proxy.config.AdminConfig;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.Timeouts;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.control.ConfigReloader;
import dev.turnout.proxy.control.ControlCollaborators;
import dev.turnout.proxy.control.RuntimeControl;
import dev.turnout.proxy.discovery.DnsDiscovery;
import dev.turnout.proxy.health.HealthChecker;
import dev.turnout.proxy.health.OutlierEjector;
import dev.turnout.proxy.health.SlowStartTicker;
import dev.turnout.proxy.listener.Http2Abuse;
import dev.turnout.proxy.listener.ProxyServer;
import dev.turnout.proxy.metrics.ReloadMetrics;
import dev.turnout.proxy.metrics.TrafficMetrics;
import dev.turnout.proxy.stats.TrafficHistory;
import dev.turnout.proxy.stats.TrafficSummary;
import dev.turnout.proxy.tls.AdminTlsContext;
import dev.turnout.proxy.tls.BackendTlsContexts;
import dev.turnout.proxy.tls.TlsContexts;
import dev.turnout.proxy.transport.Transport;
import dev.turnout.proxy.upstream.UpstreamConnector;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Turnout: the saved runtime state laid over the configuration, the data-plane
 * listener, and the admin listener, started in that order so that no request is routed before
 * the saved state (a drained backend, say) is in force.
 */
public final class Turnout implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Turnout.class);
    /** How long a takeover waits for the old Turnout to let go of the admin port. */
    private static final Duration ADMIN_TAKEOVER_WAIT = Duration.ofSeconds(120);
    /** How long start-up waits for discovery pools' first lookups, so that they do not start empty. */
    private static final Duration FIRST_LOOKUP_WAIT = Duration.ofSeconds(10);

    private static final Logger AUDIT = LoggerFactory.getLogger("turnout.audit");

    private final RuntimeControl control;
    private final ConfigReloader reloader;
    private final EventLoopGroup workers;
    private final ProxyServer server;
    private final InetSocketAddress address;
    private final AdminServer admin;
    private final ScheduledExecutorService healthThread;
    private final TrafficMetrics metrics;
    private final ResponseCache cache;
    private final long startedMillis;
    private final DnsDiscovery discovery;
    private final AtomicBoolean shutdownStarted = new AtomicBoolean();
    private final CompletableFuture<Boolean> stopped = new CompletableFuture<>();
    private final InetSocketAddress tlsAddress;
    private final AccessLog accessLog;

    private Turnout(TurnoutConfig config, Supplier<TurnoutConfig> source, boolean takeover)
            throws IOException, InterruptedException {
        Transport transport = Transport.best();
        this.workers = transport.newGroup(config.effectiveIoThreads(), "turnout-io");
        this.healthThread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "turnout-health");
            thread.setDaemon(true);
            return thread;
        });
        try {
            BackendTlsContexts backendTls = new BackendTlsContexts();
            backendTls.prepare(config.pools().values());
            UpstreamConnector connector = new UpstreamConnector(transport, this::timeouts, backendTls);
            this.startedMillis = ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli)
                    .orElseGet(System::currentTimeMillis);
            this.cache = config.cache().enabled() ? new ResponseCache(config.cache(), System::nanoTime) : null;
            // Metrics, the listener (whose connections instance() counts) and the reloader need the control plane first
            // (its routing state, its reconfigure), so it reaches them through this Turnout's methods: admin calls come
            // only once the admin listener is up, when every field is set.
            ControlCollaborators collaborators = ControlCollaborators.NONE.withInstance(this::instance);
            if (cache != null) {
                collaborators = collaborators.withCache(cache::purge, cache::purgeTags);
            }
            if (config.metricsEnabled()) {
                collaborators = collaborators.withMetrics(this::traffic, this::history);
            }
            if (source != null) {
                collaborators = collaborators.withReload(this::reload);
            }
            this.control = new RuntimeControl(config, backend -> connector.closeIdle(backend, workers), collaborators);
            HealthChecker checker = new HealthChecker(healthThread, System::nanoTime, control::refresh,
                    (poolTransport, backend, check) -> connector.probe(poolTransport, backend, check, workers.next()));
            SlowStartTicker ticker = new SlowStartTicker(healthThread, control::refresh);
            this.metrics = config.metricsEnabled() ? new TrafficMetrics(control.routing(), workers) : null;
            control.onPublish(table -> {
                checker.follow(table);
                ticker.follow(table);
                if (metrics != null) {
                    metrics.follow(table);
                }
                if (cache != null) {
                    cache.follow(table.settings().cache());
                }
            });
            if (metrics != null) {
                control.enableRollouts(healthThread, Clock.systemUTC(), metrics::tally, metrics::latencies, metrics.registry());
                healthThread.scheduleAtFixedRate(metrics::sampleRecent, 1, 1, TimeUnit.SECONDS);
            } else {
                control.abortSavedRollouts("turnout.metrics.enabled is false, so no rollout can be judged");
            }
            control.onDrain(backend -> healthThread.schedule(() -> {
                if (!control.routing().current().inRotation(backend)) {
                    backend.closeTunnels(); // still out of rotation: its WebSocket tunnels have had their time
                }
            }, timeouts().tunnelDrain().toMillis(), TimeUnit.MILLISECONDS));
            this.discovery = new DnsDiscovery(config.dns(), healthThread,
                    (pool, announced) -> control.discovered(pool, announced, healthThread),
                    metrics == null ? null : metrics.registry());
            discovery.sync(DnsDiscovery.discoveries(config.pools()));
            if (!discovery.awaitFirstLookups(FIRST_LOOKUP_WAIT)) {
                LOG.warn("discovery: some first lookups were still going after {}; those pools start with no backends",
                        FIRST_LOOKUP_WAIT);
            }
            OutlierEjector ejector = new OutlierEjector(healthThread, control.routing()::current, control::refresh);
            if (cache != null) {
                if (metrics != null) {
                    metrics.watch(cache);
                }
                long heap = Runtime.getRuntime().maxMemory();
                if (config.cache().maxSize() > heap / 2) {
                    LOG.warn("turnout.cache.max-size is {} MiB but the heap is at most {} MiB: the cache keeps bodies on the "
                            + "heap, so raise -Xmx or lower max-size", config.cache().maxSize() >> 20, heap >> 20);
                }
            }
            if (metrics != null) {
                Gauge.builder("turnout_tls_engine", () -> 1).description("1 for the TLS engine of the TLS listener")
                        .tag("engine", TlsContexts.engine()).register(metrics.registry());
            }
            this.accessLog = openAccessLog(config.accessLog());
            if (metrics != null && accessLog instanceof FileAccessLog file) {
                FunctionCounter.builder("turnout_access_log_dropped", file, FileAccessLog::dropped)
                        .description("Access-log lines dropped because the disk fell behind or a write failed")
                        .register(metrics.registry());
            }
            this.server = new ProxyServer(transport, workers, control.routing(), connector, ejector, cache, metrics,
                    accessLog, config.clientAddress(), takeover);
            if (config.tls() != null) {
                TlsContexts tls = TlsContexts.load(config.tls());
                this.tlsAddress = server.startTls(config.tls().listen(), tls, config.tls().redirectHttp());
                // Certificates renewed on disk (certbot, a secret mount) are picked up without a restart.
                healthThread.scheduleWithFixedDelay(tls::reloadIfChanged, 5, 5, TimeUnit.SECONDS);
            } else {
                this.tlsAddress = null;
            }
            if (metrics != null) {
                for (Http2Abuse.Kind kind : Http2Abuse.Kind.values()) {
                    FunctionCounter.builder("turnout_http2_abuse", server.http2Abuse(), abuse -> abuse.total(kind))
                            .description("HTTP/2 connections closed for abuse, by kind").tag("kind", kind.label())
                            .register(metrics.registry());
                }
            }
            if (metrics != null) {
                ProxyServer clients = server;
                Gauge.builder("turnout_client_connections", () -> clients.openConnections() - clients.parkedConnections())
                        .description("Open client connections with a channel of their own").tag("state", "active")
                        .register(metrics.registry());
                Gauge.builder("turnout_client_connections", clients::parkedConnections)
                        .description("Open client connections parked between requests").tag("state", "parked")
                        .register(metrics.registry());
            }
            this.address = server.start(config.listen());
            ReloadMetrics reloadMetrics = metrics == null ? null
                    : new ReloadMetrics(metrics.registry(), config.hash(), System.currentTimeMillis());
            // Discovery follows the reloaded pools: lookups start, stop or change with them.
            // New pools' TLS contexts are made before they are routed to; discovery follows the reloaded pools.
            this.reloader = new ConfigReloader(source, config, control, reloadMetrics, Clock.systemUTC(),
                    next -> backendTls.prepare(next.pools().values()),
                    reloaded -> discovery.sync(DnsDiscovery.discoveries(reloaded.pools())));
            if (takeover) {
                LOG.info("data plane listening on http://{}:{} beside the Turnout being replaced; send it SIGTERM",
                        address.getAddress().getHostAddress(), address.getPort());
            }
            this.admin = startAdmin(config.admin(), takeover);
        } catch (IOException | RuntimeException | InterruptedException e) {
            stopEventLoops();
            throw e;
        }
        LOG.info("data plane listening on http://{}:{} ({} transport, {} io threads)",
                address.getAddress().getHostAddress(), address.getPort(), transport.name(), config.effectiveIoThreads());
        if (tlsAddress != null) {
            String why = TlsContexts.whyNotOpenSsl();
            LOG.info("TLS listening on https://{}:{} ({} certificate(s), {} engine{}{})",
                    tlsAddress.getAddress().getHostAddress(), tlsAddress.getPort(), config.tls().certificates().size(),
                    TlsContexts.engine(), why == null ? "" : ": OpenSSL unavailable, " + why,
                    config.tls().redirectHttp() ? ", plain HTTP redirected" : "");
        }
        AdminConfig adminConfig = config.admin();
        LOG.info("admin API listening on {}://{}:{}{}{}", adminConfig.tls() == null ? "http" : "https",
                admin.address().getAddress().getHostAddress(), admin.address().getPort(),
                adminConfig.tokens().isEmpty() ? "" : " (bearer token required)",
                adminConfig.tls() != null && adminConfig.tls().clientCa() != null ? " (client certificate required)" : "");
    }

    private static AccessLog openAccessLog(AccessLogConfig config) throws IOException {
        if (config.file() == null) {
            return new LoggerAccessLog();
        }
        try {
            FileAccessLog log = FileAccessLog.open(config.file(), config.json() ? LineFormat.JSON : LineFormat.TEXT);
            LOG.info("access log: {} ({})", config.file(), config.json() ? "json" : "text");
            return log;
        } catch (IOException e) {
            throw new ConfigError("turnout.access-log.file: cannot write " + config.file() + ": " + e);
        }
    }

    /** Starts a proxy that cannot reload (it has no configuration to read again); both listeners are bound when this returns. */
    public static Turnout start(TurnoutConfig config) throws IOException, InterruptedException {
        return new Turnout(config, null, false);
    }

    /**
     * Starts a proxy; both listeners are bound when this returns.
     *
     * @param source reads the configuration again for a reload (as {@code config} was read)
     */
    public static Turnout start(TurnoutConfig config, Supplier<TurnoutConfig> source) throws IOException, InterruptedException {
        return new Turnout(config, source, false);
    }

    /**
     * Starts a proxy beside a running Turnout during an upgrade: the data-plane and TLS ports are
     * shared with it (SO_REUSEPORT), and the admin port is taken over once the old one, stopping
     * on SIGTERM, lets go of it.
     */
    public static Turnout takeOver(TurnoutConfig config, Supplier<TurnoutConfig> source)
            throws IOException, InterruptedException {
        return new Turnout(config, source, true);
    }

    private TrafficSummary traffic() {
        return metrics.traffic();
    }

    private TrafficHistory.Samples history() {
        return metrics.history();
    }

    private InstanceView instance() {
        return new InstanceView(Main.version(), startedMillis, (System.currentTimeMillis() - startedMillis) / 1000,
                server.openConnections(), metrics == null || cache == null ? null : metrics.cacheHitRatio(),
                reloader.active().hash(), reloader.lastReload());
    }

    private ReloadView reload() {
        return reloader.reload();
    }

    /** The timeouts in force: a reload may change them. */
    private Timeouts timeouts() {
        return control.routing().current().settings().timeouts();
    }

    /**
     * Reloads the configuration on SIGHUP, as {@code POST /api/v1/config/reload} does. The reloader logs the
     * outcome either way; a good one is also audited, with the runtime changes it dropped, under the caller
     * {@code SIGHUP}.
     */
    public void reloadOnSignal() {
        try {
            ReloadView reloaded = control.reloadConfiguration();
            AUDIT.info("SIGHUP reload configuration: {}", reloaded.summary());
            reloaded.dropped().forEach(dropped -> AUDIT.info("SIGHUP reload configuration: dropped {}", dropped));
        } catch (ControlException refused) {
            LOG.debug("reload on SIGHUP refused (logged above): {}", refused.getMessage());
        } catch (RuntimeException e) {
            LOG.error("reload on SIGHUP failed", e);
        }
    }

    private AdminServer startAdmin(AdminConfig adminConfig, boolean takeover) throws IOException, InterruptedException {
        AdminSettings settings = AdminSettings.plain(adminConfig.listen().host(), adminConfig.listen().port())
                .withTokens(adminConfig.tokens())
                .withHosts(adminConfig.hosts());
        if (adminConfig.tls() != null) {
            settings = settings.withTls(AdminTlsContext.load(adminConfig.tls()), adminConfig.tls().clientCa() != null);
        }
        long deadline = System.nanoTime() + ADMIN_TAKEOVER_WAIT.toNanos();
        boolean said = false;
        while (true) {
            try {
                return AdminServer.start(settings, control, metrics == null ? null : metrics::scrape);
            } catch (IOException e) {
                if (!takeover || !(e.getCause() instanceof BindException) || System.nanoTime() > deadline) {
                    throw e;
                }
                if (!said) {
                    LOG.info("waiting for the admin port {}, held by the Turnout being replaced", adminConfig.listen());
                    said = true;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }

    /** The bound data-plane address. */
    public InetSocketAddress address() {
        return address;
    }

    /** The bound TLS address, or null without a TLS listener. */
    public InetSocketAddress tlsAddress() {
        return tlsAddress;
    }

    /** The bound admin address. */
    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    public ControlPlane control() {
        return control;
    }

    /** Graceful stop within {@code turnout.shutdown.grace}; see {@link ProxyServer#shutdown}. */
    public void shutdown() throws InterruptedException {
        shutdown(reloader.active().shutdownGrace());
    }

    /**
     * Stops once: a later call ({@link #close} during or after a shutdown) waits for the first, grace included, and
     * returns what it returned, or throws if the first failed.
     *
     * @return whether every client connection closed by itself within {@code grace}
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        if (!shutdownStarted.compareAndSet(false, true)) {
            try {
                return stopped.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("the first shutdown failed", e.getCause());
            }
        }
        try {
            LOG.info("shutting down: no new connections; waiting up to {} for requests in flight", grace);
            admin.close();
            boolean clean = server.shutdown(grace);
            if (!clean) {
                LOG.warn("grace period over: closed the connections still open");
            }
            stopEventLoops();
            LOG.info("stopped");
            stopped.complete(clean);
            return clean;
        } catch (Throwable e) {
            stopped.completeExceptionally(e); // a later call must not wait for an answer that never comes
            throw e;
        }
    }

    private void stopEventLoops() {
        if (discovery != null) {
            discovery.close();
        }
        if (control != null) {
            control.close();
        }
        healthThread.shutdownNow();
        if (metrics != null) {
            metrics.close();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (accessLog instanceof FileAccessLog file) {
            try {
                file.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops without a grace; during or after a {@link #shutdown(Duration)}, waits for that one instead. */
    @Override
    public void close() throws InterruptedException {
        shutdown(Duration.ZERO);
    }
}
