package dev.turnout.proxy.pool;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One application server's identity and live counters. The instance lives as long as the backend
 * (same pool, id and address): routing snapshots come and go, but the in-flight counter and the
 * connections pooled for it stay attached here. Weight and admin state belong to the snapshot
 * ({@link PoolMember}), never to this object.
 */
public final class Backend {

    private final String poolName;
    private final String id;
    private final String address;
    private final InetSocketAddress socketAddress;
    private final AtomicInteger inflight = new AtomicInteger();
    // Set by whoever waits for in-flight to reach 0 (a drain); read by the hot path only then.
    private volatile CompletableFuture<Void> idleSignal;
    private volatile boolean keepsConnections = true;
    private volatile boolean retired;
    // Closers of the WebSocket tunnels open to this backend, for a drain's tunnel deadline.
    private final Set<Runnable> tunnels = ConcurrentHashMap.newKeySet();
    // Observed by the health checker and passive ejection; a snapshot copies them when compiled.
    private volatile Health health = Health.UNKNOWN;
    private volatile boolean ejected;
    private volatile boolean mustProveHealthy;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile long rampStartNanos;
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger pendingConnects = new AtomicInteger();
    // Monotonic counts, read by metrics at scrape time.
    private final LongAdder healthChecksPassed = new LongAdder();
    private final LongAdder healthChecksFailed = new LongAdder();
    private final LongAdder ejections = new LongAdder();

    public Backend(String poolName, String id, String address, InetSocketAddress socketAddress) {
        this.poolName = poolName;
        this.id = id;
        this.address = address;
        this.socketAddress = socketAddress;
    }

    public String poolName() {
        return poolName;
    }

    public String id() {
        return id;
    }

    /** The address as configured, for display. */
    public String address() {
        return address;
    }

    /** The address resolved when the backend was defined, for connecting. */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    /** Requests sent to this backend whose answer has not finished. */
    public int inflight() {
        return inflight.get();
    }

    public void requestStarted() {
        inflight.incrementAndGet();
    }

    public void requestFinished() {
        if (inflight.decrementAndGet() == 0) {
            CompletableFuture<Void> signal = idleSignal;
            if (signal != null) {
                signal.complete(null);
            }
        }
    }

    /**
     * Completes when nothing is in flight, at once if nothing is. Dependent actions may run on
     * an event loop: callers hop to their own executor before doing anything slow.
     */
    public CompletableFuture<Void> whenIdle() {
        CompletableFuture<Void> signal;
        synchronized (this) {
            signal = idleSignal;
            if (signal == null || signal.isDone()) {
                signal = new CompletableFuture<>();
                idleSignal = signal;
            }
        }
        // Written before this read, as requestFinished writes the count before reading the
        // signal: one of the two always sees the other.
        if (inflight.get() == 0) {
            signal.complete(null);
        }
        return signal;
    }

    /** Whether a finished exchange may return its connection to the idle pool. */
    public void tunnelOpened(Runnable close) {
        tunnels.add(close);
    }

    public void tunnelClosed(Runnable close) {
        tunnels.remove(close);
    }

    /** Closes every WebSocket tunnel still open to it (each on its own event loop). */
    public void closeTunnels() {
        tunnels.forEach(Runnable::run);
    }

    /** Whether it left the fleet (removed, or replaced at a new address); its requests may still finish. */
    public boolean retired() {
        return retired;
    }

    public void retire() {
        this.retired = true;
    }

    public boolean keepsConnections() {
        return keepsConnections;
    }

    /** Draining, disabled or removed backends keep no idle connections. */
    public void keepConnections(boolean keep) {
        this.keepsConnections = keep;
    }

    /** Connections open to it, busy or idle, over every event loop. */
    public int openConnections() {
        return openConnections.get();
    }

    /** Connections being opened to it right now. */
    public int pendingConnects() {
        return pendingConnects.get();
    }

    /** Called by the connector: a connect starts, then ends (either way), then maybe the connection closes. */
    public void connectStarted() {
        pendingConnects.incrementAndGet();
        openConnections.incrementAndGet();
    }

    public void connectEnded() {
        pendingConnects.decrementAndGet();
    }

    public void connectionClosed() {
        openConnections.decrementAndGet();
    }

    /** When its slow-start ramp began (it came up or was enabled), or 0 if it never did. */
    public long rampStartNanos() {
        return rampStartNanos;
    }

    public void startRamp(long nowNanos) {
        this.rampStartNanos = nowNanos == 0 ? 1 : nowNanos;
    }

    public Health health() {
        return health;
    }

    public void health(Health health) {
        this.health = health;
    }

    public boolean ejected() {
        return ejected;
    }

    public void ejected(boolean ejected) {
        if (ejected && !this.ejected) {
            ejections.increment();
        }
        this.ejected = ejected;
    }

    /** How many times passive ejection took it out. */
    public long ejections() {
        return ejections.sum();
    }

    /** Counts one active health check's result. */
    public void healthChecked(boolean passed) {
        (passed ? healthChecksPassed : healthChecksFailed).increment();
    }

    public long healthChecks(boolean passed) {
        return (passed ? healthChecksPassed : healthChecksFailed).sum();
    }

    /** A backend added at runtime to a checked pool waits for its first healthy result. */
    public boolean mustProveHealthy() {
        return mustProveHealthy;
    }

    public void mustProveHealthy(boolean must) {
        this.mustProveHealthy = must;
    }

    /** Whether observed health lets it take new requests (operator intent aside). */
    public boolean healthAllowsTraffic() {
        Health h = health;
        return !ejected && h != Health.DOWN && (h == Health.UP || !mustProveHealthy);
    }

    /**
     * Counts a failed exchange (connect failure, reset, 5xx).
     *
     * @return the number of failures in a row, this one included
     */
    public int recordFailure() {
        return consecutiveFailures.incrementAndGet();
    }

    /** Ends a run of failures; cheap when there was none, as is usual. */
    public void recordSuccess() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    @Override
    public String toString() {
        return poolName + "/" + id + "(" + address + ")";
    }
}
