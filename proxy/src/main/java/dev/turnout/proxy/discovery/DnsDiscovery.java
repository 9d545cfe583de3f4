package dev.turnout.proxy.discovery;

import dev.turnout.proxy.config.DiscoveryConfig;
import dev.turnout.proxy.config.DnsConfig;
import dev.turnout.proxy.config.PoolConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS service discovery: the lookups of every pool with a {@code discovery} section, each pool started and stopped on
 * its own ({@link #sync}), sharing one {@link DnsLookup} made when the first pool needs it. What a pool's lookups find
 * goes to {@code announced} on the control thread; each instance of a fleet resolves on its own, so it is never
 * shared. Counts every lookup in {@code turnout_discovery_lookups_total{pool,result}}.
 */
public final class DnsDiscovery implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DnsDiscovery.class);

    private final DnsConfig dns;
    private final ScheduledExecutorService executor;
    private final BiConsumer<String, List<Endpoint>> announced;
    private final MeterRegistry registry;
    private final Map<String, PoolDiscovery> running = new HashMap<>();
    private final Map<String, Map<PoolDiscovery.Result, LongAdder>> counts = new HashMap<>();
    private final Map<String, List<Meter>> meters = new HashMap<>();
    private Function<DiscoveryConfig, CompletionStage<Resolution>> lookup;
    private DnsLookup dnsLookup;

    /**
     * @param executor  the control thread: lookups start there and their answers are handled there
     * @param announced receives a pool's endpoints at each answer that has some
     * @param registry  where lookups are counted, or null with metrics off
     */
    public DnsDiscovery(DnsConfig dns, ScheduledExecutorService executor, BiConsumer<String, List<Endpoint>> announced,
            MeterRegistry registry) {
        this.dns = dns;
        this.executor = executor;
        this.announced = announced;
        this.registry = registry;
    }

    /** With lookups answered by {@code lookup} instead of DNS, for tests. */
    DnsDiscovery(Function<DiscoveryConfig, CompletionStage<Resolution>> lookup, ScheduledExecutorService executor,
            BiConsumer<String, List<Endpoint>> announced, MeterRegistry registry) {
        this(new DnsConfig(List.of()), executor, announced, registry);
        this.lookup = lookup;
    }

    /** The pools of {@code pools} that have discovery, with it. */
    public static Map<String, DiscoveryConfig> discoveries(Map<String, PoolConfig> pools) {
        Map<String, DiscoveryConfig> discoveries = new LinkedHashMap<>();
        pools.forEach((name, pool) -> {
            if (pool.discovery() != null) {
                discoveries.put(name, pool.discovery());
            }
        });
        return discoveries;
    }

    /**
     * Makes the running lookups match {@code wanted} (pool name to its discovery): starts those of pools that gained
     * discovery, restarts those whose section changed, stops those of pools that lost it or are gone.
     */
    public synchronized void sync(Map<String, DiscoveryConfig> wanted) {
        for (String pool : List.copyOf(running.keySet())) {
            if (!wanted.containsKey(pool)) {
                stop(pool);
            }
        }
        wanted.forEach(this::start);
    }

    /** Starts looking up {@code pool}'s name, or restarts with {@code config} if it differs from the running one. */
    public synchronized void start(String pool, DiscoveryConfig config) {
        PoolDiscovery current = running.get(pool);
        if (current != null) {
            if (current.config().equals(config)) {
                return;
            }
            current.stop();
        }
        if (lookup == null) {
            dnsLookup = new DnsLookup(dns.resolvers());
            lookup = dnsLookup::lookup;
        }
        Map<PoolDiscovery.Result, LongAdder> poolCounts = counts.computeIfAbsent(pool, this::registerCounts);
        PoolDiscovery discovery = new PoolDiscovery(pool, config, lookup, executor, announced,
                result -> poolCounts.get(result).increment(), System::nanoTime);
        running.put(pool, discovery);
        LOG.info("discovery of pool {}: {} records of {} every {}{}", pool, config.type(), config.name(),
                config.interval().toString().substring(2).toLowerCase(Locale.ROOT),
                config.type() == DiscoveryConfig.Type.A ? ", port " + config.port() : "");
        discovery.start();
    }

    /** Stops looking up {@code pool}'s name; its backends stay as the last answer left them. */
    public synchronized void stop(String pool) {
        PoolDiscovery stopped = running.remove(pool);
        if (stopped == null) {
            return;
        }
        stopped.stop();
        counts.remove(pool);
        if (registry != null) {
            meters.remove(pool).forEach(registry::remove);
        }
    }

    /** The lookups of how many pools run. */
    public synchronized int pools() {
        return running.size();
    }

    /**
     * Waits until every running pool's first lookup has ended, at most {@code wait}, so that a pool is not empty when
     * traffic starts.
     *
     * @return false when some first lookup was still going at the deadline
     */
    public boolean awaitFirstLookups(Duration wait) throws InterruptedException {
        CompletableFuture<?>[] first;
        synchronized (this) {
            first = running.values().stream().map(PoolDiscovery::firstLookup).toArray(CompletableFuture[]::new);
        }
        try {
            CompletableFuture.allOf(first).get(wait.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException impossible) {
            throw new IllegalStateException(impossible); // a first lookup only ever completes normally
        }
    }

    private Map<PoolDiscovery.Result, LongAdder> registerCounts(String pool) {
        Map<PoolDiscovery.Result, LongAdder> poolCounts = new EnumMap<>(PoolDiscovery.Result.class);
        List<Meter> registered = new ArrayList<>();
        for (PoolDiscovery.Result result : PoolDiscovery.Result.values()) {
            LongAdder count = new LongAdder();
            poolCounts.put(result, count);
            if (registry != null) {
                registered.add(FunctionCounter.builder("turnout.discovery.lookups", count, LongAdder::sum)
                        .description("DNS lookups of discovery pools by how they went: ok, empty (no records) or failed")
                        .tag("pool", pool).tag("result", result.label()).register(registry));
            }
        }
        meters.put(pool, registered);
        return poolCounts;
    }

    @Override
    public synchronized void close() {
        List.copyOf(running.keySet()).forEach(this::stop);
        if (dnsLookup != null) {
            dnsLookup.close();
        }
    }
}
