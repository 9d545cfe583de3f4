package dev.turnout.proxy.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.StateStoreConfig;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's shared state in etcd, under {@code prefix}:
 * <ul>
 * <li>{@code state}: the whole {@link RuntimeState} as {@link StateJson}; its mod revision is the
 * revision a change is validated against, and a commit is a transaction conditioned on it;
 * <li>{@code inflight/<instance>}: each instance's applied revision and in-flight counts, under
 * its lease, so a dead instance stops counting when the lease runs out; these keys are also how many
 * instances share the routes' rate limits ({@link #liveInstances});
 * <li>{@code leader}: the instance that runs rollouts, under its lease (created only if absent).
 * </ul>
 *
 * <p>One thread ("turnout-state") does everything but commits: it syncs (reads the state, the
 * fleet's counts, takes a fresh lease, campaigns, watches from the revision read), then every
 * {@value #TICK_MILLIS} ms probes etcd, renews the lease and publishes this instance's counts if
 * they changed. Watch events are handed to that thread too. Any failure marks the store down:
 * admin writes are refused with 503 until the next tick syncs again. Commits run on the admin
 * thread that asked, bounded by {@code timeout}; every unary call carries that deadline, so a
 * refused write is not retried behind the caller's back once the caller has been answered.
 */
final class EtcdStateStore implements StateStore {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdStateStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TICK_MILLIS = 250;

    private final StateStoreConfig.Etcd config;
    private final StateFile localFile;
    private final Client client;
    private final KV kv;
    private final String root;
    private final ByteSequence stateKey;
    private final ByteSequence leaderKey;
    private final String inflightPrefix;
    private final ScheduledExecutorService thread;
    private final long timeoutMillis;
    /** The other instances' last publication, by name; read by admin threads. */
    private final Map<String, Published> others = new ConcurrentHashMap<>();
    /** The others that hold a lease, plus this one; read by the event loops for rate limits. */
    private volatile int liveInstances = 1;
    private volatile boolean up = true;
    private volatile boolean synced;
    private volatile boolean closed;
    private volatile RuntimeState configured;
    private long savedRevision = -1;

    // Only on the store's thread:
    private Listener listener;
    private boolean campaign;
    private boolean leading;
    private long lease;
    private long leaseRenewedNanos;
    private Watch.Watcher watcher;
    private String lastPublished;
    private final List<IdleWaiter> waiters = new ArrayList<>();

    private record Published(long revision, Map<String, Integer> inflight) {
    }

    private record IdleWaiter(String backend, long revision, CompletableFuture<Void> done) {
    }

    /** @param localFile where the last applied state is kept, or null */
    EtcdStateStore(StateStoreConfig.Etcd config, StateFile localFile) {
        this.config = config;
        this.localFile = localFile;
        this.timeoutMillis = config.timeout().toMillis();
        this.root = config.prefix() + "/";
        this.stateKey = bytes(root + "state");
        this.leaderKey = bytes(root + "leader");
        this.inflightPrefix = root + "inflight/";
        this.client = Client.builder()
                .endpoints(config.endpoints().toArray(URI[]::new))
                .connectTimeout(config.timeout())
                .waitForReady(false)
                .retryMaxDuration(config.timeout())
                // jetcd's first retry waits 500 ms by default, and it refuses a retry budget shorter than that wait.
                .retryDelay(Math.max(1, timeoutMillis / 4))
                .retryMaxDelay(Math.max(1, timeoutMillis / 2))
                .interceptor(new UnaryDeadline(timeoutMillis))
                .build();
        this.kv = client.getKVClient();
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "turnout-state");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public Versioned load(RuntimeState configuredState) {
        this.configured = configuredState;
        RuntimeState local = localFile == null ? configuredState : localFile.loadOver(configuredState);
        try {
            GetResponse got = await(kv.get(stateKey));
            if (got.getKvs().isEmpty()) {
                LOG.info("etcd has no Turnout state under {} yet: starting from the configuration", config.prefix());
                return new Versioned(configuredState, 0);
            }
            KeyValue saved = got.getKvs().get(0);
            RuntimeState shared = decode(saved.getValue());
            saveLocally(shared, saved.getModRevision());
            LOG.info("runtime state loaded from etcd {} (revision {})", config.endpoints(), saved.getModRevision());
            return new Versioned(shared, saved.getModRevision());
        } catch (Unreachable e) {
            lost(e.getMessage());
            return new Versioned(local, 0);
        }
    }

    @Override
    public long commit(RuntimeState next, long expectedRevision) {
        if (!synced) {
            throw unavailable();
        }
        TxnResponse response;
        try {
            response = await(kv.txn()
                    .If(new Cmp(stateKey, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedRevision)))
                    .Then(Op.put(stateKey, ByteSequence.from(StateJson.encode(next)), PutOption.DEFAULT))
                    .Else(Op.get(stateKey, GetOption.DEFAULT))
                    .commit());
        } catch (Unreachable e) {
            lost(e.getMessage());
            throw unavailable();
        }
        if (response.isSucceeded()) {
            long revision = response.getHeader().getRevision();
            saveLocally(next, revision);
            return revision;
        }
        List<KeyValue> current = response.getGetResponses().get(0).getKvs();
        throw new Conflict(current.isEmpty() ? new Versioned(configured, 0)
                : new Versioned(decode(current.get(0).getValue()), current.get(0).getModRevision()));
    }

    @Override
    public void reconfigure(RuntimeState configuredState) {
        this.configured = configuredState;
    }

    @Override
    public void start(Listener control, boolean mayLead) {
        thread.execute(() -> {
            this.listener = control;
            this.campaign = mayLead;
        });
        thread.scheduleWithFixedDelay(this::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public boolean up() {
        return up;
    }

    @Override
    public String instance() {
        return config.instance();
    }

    @Override
    public int liveInstances() {
        return liveInstances;
    }

    @Override
    public Map<String, Integer> othersInflight(String backend) {
        Map<String, Integer> counts = new TreeMap<>();
        others.forEach((name, published) -> counts.put(name, published.inflight().getOrDefault(backend, 0)));
        return counts;
    }

    @Override
    public CompletionStage<Void> whenOthersIdle(String backend, long revision) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        thread.execute(() -> {
            waiters.add(new IdleWaiter(backend, revision, done));
            checkWaiters();
        });
        return done;
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
        try {
            thread.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS);
            if (watcher != null) {
                watcher.close();
            }
            if (lease != 0) {
                // At once, not when the lease runs out: the others stop counting this instance and may lead.
                client.getLeaseClient().revoke(lease).get(timeoutMillis, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.debug("etcd: the lease could not be revoked on the way out; it runs out by itself", e);
        }
        client.close();
    }

    // ---- the store's thread -----------------------------------------------------------------

    private void tick() {
        if (listener == null) {
            return;
        }
        try {
            if (!synced) {
                sync();
                return;
            }
            await(kv.get(stateKey, GetOption.builder().withKeysOnly(true).build()));
            renewLease();
            publish(false);
            checkWaiters();
        } catch (Unreachable e) {
            lost(e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("etcd: the state task failed; resyncing", e);
            lost(e.toString());
        }
    }

    /** Catches up from the current revision: the state, the fleet's counts, a fresh lease, the leadership, a watch. */
    private void sync() {
        if (watcher != null) {
            watcher.close();
            watcher = null;
        }
        if (leading) {
            leading = false;
            listener.leading(false);
        }
        GetResponse state = await(kv.get(stateKey));
        long revision = state.getHeader().getRevision();
        if (!state.getKvs().isEmpty()) {
            deliver(state.getKvs().get(0));
        }
        GetResponse fleet = await(kv.get(bytes(inflightPrefix), GetOption.builder().isPrefix(true).build()));
        others.clear();
        for (KeyValue entry : fleet.getKvs()) {
            record(entry);
        }
        liveInstances = others.size() + 1;
        if (lease != 0) {
            // The old lease may still hold this instance's leadership; let it go rather than wait it out.
            revokeQuietly(lease);
        }
        lease = await(client.getLeaseClient().grant(config.leaseTtl().toSeconds())).getID();
        leaseRenewedNanos = System.nanoTime();
        lastPublished = null;
        publish(true);
        watcher = client.getWatchClient().watch(bytes(root), WatchOption.builder().isPrefix(true).withRevision(revision + 1)
                .build(), Watch.listener(response -> onStoreThread(() -> onEvents(response)),
                        error -> onStoreThread(() -> onWatchError(error))));
        synced = true;
        if (campaign) {
            campaign();
        }
        if (!up) {
            up = true;
            LOG.info("etcd at {} is reachable again: resynced at revision {}; admin changes are accepted", config.endpoints(),
                    revision);
        }
        checkWaiters();
    }

    /** Watch callbacks come on jetcd's threads; they are handled on the store's, unless it has closed. */
    private void onStoreThread(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closing) {
            LOG.debug("etcd: store closed; watch callback dropped", closing);
        }
    }

    private void onEvents(WatchResponse response) {
        if (!synced) {
            return; // a watch being replaced; the next sync reads what it missed
        }
        for (WatchEvent event : response.getEvents()) {
            KeyValue entry = event.getKeyValue();
            String key = entry.getKey().toString(StandardCharsets.UTF_8);
            boolean deleted = event.getEventType() == WatchEvent.EventType.DELETE;
            if (key.equals(root + "state") && !deleted) {
                if (entry.getModRevision() > listener.appliedRevision()) {
                    deliver(entry);
                }
            } else if (key.startsWith(inflightPrefix)) {
                String name = key.substring(inflightPrefix.length());
                if (deleted) {
                    others.remove(name);
                } else {
                    record(entry);
                }
            } else if (key.equals(root + "leader") && deleted && campaign) {
                campaign();
            }
        }
        liveInstances = others.size() + 1;
        checkWaiters();
    }

    private void onWatchError(Throwable error) {
        lost("the watch on " + root + " failed: " + error.getMessage());
    }

    private void deliver(KeyValue saved) {
        RuntimeState state;
        try {
            state = decode(saved.getValue());
        } catch (ConfigError e) {
            LOG.error("etcd: {}; this instance keeps routing by revision {}", e.getMessage(), listener.appliedRevision());
            return;
        }
        saveLocally(state, saved.getModRevision());
        listener.applied(new Versioned(state, saved.getModRevision()));
    }

    private void record(KeyValue entry) {
        String name = entry.getKey().toString(StandardCharsets.UTF_8).substring(inflightPrefix.length());
        if (name.equals(config.instance())) {
            return;
        }
        try {
            JsonNode node = JSON.readTree(entry.getValue().getBytes());
            Map<String, Integer> counts = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.path("inflight").fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> count = it.next();
                counts.put(count.getKey(), count.getValue().asInt());
            }
            others.put(name, new Published(node.path("revision").asLong(), Map.copyOf(counts)));
        } catch (IOException e) {
            LOG.warn("etcd: the in-flight counts of instance {} cannot be read: {}", name, e.getMessage());
        }
    }

    /** Publishes this instance's applied revision and in-flight counts when they changed. */
    private void publish(boolean always) {
        Map<String, Object> value = new TreeMap<>();
        value.put("revision", listener.appliedRevision());
        value.put("inflight", listener.localInflight());
        String text;
        try {
            text = JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (!always && text.equals(lastPublished)) {
            return;
        }
        await(kv.put(bytes(inflightPrefix + config.instance()), bytes(text), PutOption.builder().withLeaseId(lease).build()));
        lastPublished = text;
    }

    private void renewLease() {
        long ttlNanos = config.leaseTtl().toNanos();
        if (System.nanoTime() - leaseRenewedNanos < ttlNanos / 3) {
            return;
        }
        if (await(client.getLeaseClient().keepAliveOnce(lease)).getTTL() <= 0) {
            throw new Unreachable("the lease of instance " + config.instance() + " ran out");
        }
        leaseRenewedNanos = System.nanoTime();
    }

    /** Becomes the leader if there is none: the key is created only if absent, under this instance's lease. */
    private void campaign() {
        TxnResponse response = await(kv.txn()
                .If(new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(leaderKey, bytes(config.instance()), PutOption.builder().withLeaseId(lease).build()))
                .commit());
        if (response.isSucceeded() && !leading) {
            leading = true;
            LOG.info("this instance ({}) now runs the fleet's rollouts", config.instance());
            listener.leading(true);
        }
    }

    private void checkWaiters() {
        waiters.removeIf(waiter -> {
            if (waiter.done().isDone()) {
                return true;
            }
            for (Published published : others.values()) {
                if (published.revision() < waiter.revision() || published.inflight().getOrDefault(waiter.backend(), 0) > 0) {
                    return false;
                }
            }
            waiter.done().complete(null);
            return true;
        });
    }

    // ---- any thread -------------------------------------------------------------------------

    private void lost(String why) {
        synced = false;
        if (up && !closed) {
            up = false;
            LOG.warn("etcd at {} is unreachable ({}): serving with the last state applied; admin changes answer 503 until "
                    + "it is back", config.endpoints(), why);
        }
    }

    private Unavailable unavailable() {
        return new Unavailable("the shared state store (etcd at " + config.endpoints() + ") cannot be reached: "
                + "this instance keeps serving with the last state it applied, and refuses changes until etcd is back");
    }

    private RuntimeState decode(ByteSequence value) {
        return StateJson.mergeOver(configured, value.getBytes(), "etcd " + root + "state");
    }

    /** Keeps the newest state applied in the state file, whichever thread got it first. */
    private synchronized void saveLocally(RuntimeState state, long revision) {
        if (localFile != null && revision > savedRevision) {
            localFile.save(state);
            savedRevision = revision;
        }
    }

    private void revokeQuietly(long staleLease) {
        try {
            await(client.getLeaseClient().revoke(staleLease));
        } catch (RuntimeException e) {
            LOG.debug("etcd: stale lease {} not revoked; it runs out by itself", staleLease, e);
        }
    }

    private <T> T await(CompletableFuture<T> call) {
        try {
            return call.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted");
        } catch (ExecutionException e) {
            throw new Unreachable(String.valueOf(e.getCause().getMessage()));
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new Unreachable("no answer within " + timeoutMillis + " ms");
        }
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    /** An etcd call that failed or took too long. */
    private static final class Unreachable extends RuntimeException {

        private static final long serialVersionUID = 1L;

        Unreachable(String message) {
            super(message, null, false, false);
        }
    }

    /** Every unary call gets the store's deadline (watches and lease streams run on). */
    private record UnaryDeadline(long millis) implements ClientInterceptor {

        @Override
        public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
            return next.newCall(method, method.getType() == MethodDescriptor.MethodType.UNARY
                    ? options.withDeadlineAfter(millis, TimeUnit.MILLISECONDS) : options);
        }
    }
}
