package dev.turnout.proxy.discovery;

import dev.turnout.proxy.config.DiscoveryConfig;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One discovery pool's lookups, run on the control thread: look the name up, hand an answer with endpoints on, and
 * look again after the interval, or when the answer's TTL runs out if that is sooner (never sooner than
 * {@link #MIN_WAIT}). A lookup that failed or found nothing changes nothing, so DNS trouble never empties a pool: it is
 * counted, and logged when the trouble starts, then at most once every {@link #LOG_EVERY} while it lasts.
 */
final class PoolDiscovery {

    /** The shortest wait between lookups, whatever the TTL says (0 is common). */
    static final Duration MIN_WAIT = Duration.ofSeconds(1);
    static final Duration LOG_EVERY = Duration.ofMinutes(1);
    /** A lookup still going after this long has failed: an answer that never comes must not stop the lookups. */
    static final Duration LOOKUP_DEADLINE = Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(PoolDiscovery.class);

    /** How a lookup went, as {@code turnout_discovery_lookups_total} counts it. */
    enum Result {
        /** It found endpoints. */
        OK,
        /** The name has no such records: the pool keeps its backends. */
        EMPTY,
        /** No usable answer (a timeout, an error from the name server): the pool keeps its backends. */
        FAILED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final String pool;
    private final DiscoveryConfig config;
    private final Function<DiscoveryConfig, CompletionStage<Resolution>> lookup;
    private final ScheduledExecutorService executor;
    private final BiConsumer<String, List<Endpoint>> announced;
    private final Consumer<Result> counted;
    private final LongSupplier nanoClock;
    private final CompletableFuture<Void> firstLookup = new CompletableFuture<>();
    private volatile boolean stopped;
    // Touched on the executor only.
    private ScheduledFuture<?> next;
    private boolean answered;
    private int lastAnswerSize;
    private long troubleInRow;
    private long troubleLoggedAtNanos;

    /**
     * @param lookup    asks DNS; may complete on any thread
     * @param executor  where the lookups start and their results are handled (not an event loop)
     * @param announced called on {@code executor} with the pool and every answer that has endpoints
     * @param counted   called with how each lookup went
     */
    PoolDiscovery(String pool, DiscoveryConfig config, Function<DiscoveryConfig, CompletionStage<Resolution>> lookup,
            ScheduledExecutorService executor, BiConsumer<String, List<Endpoint>> announced, Consumer<Result> counted,
            LongSupplier nanoClock) {
        this.pool = pool;
        this.config = config;
        this.lookup = lookup;
        this.executor = executor;
        this.announced = announced;
        this.counted = counted;
        this.nanoClock = nanoClock;
    }

    DiscoveryConfig config() {
        return config;
    }

    void start() {
        executor.execute(this::lookUp);
    }

    /** No lookup after this one; the pool keeps what it has. */
    void stop() {
        stopped = true;
        executor.execute(() -> {
            if (next != null) {
                next.cancel(false);
            }
        });
    }

    /** Completes when the first lookup has ended, however it went. */
    CompletableFuture<Void> firstLookup() {
        return firstLookup;
    }

    /** When to look again after an answer ({@code null}: none came), by the interval and the answer's TTL. */
    static Duration nextLookupIn(Duration interval, Resolution answer) {
        if (answer == null || answer.endpoints().isEmpty()) {
            return interval;
        }
        Duration ttl = answer.ttl().compareTo(MIN_WAIT) < 0 ? MIN_WAIT : answer.ttl();
        return ttl.compareTo(interval) < 0 ? ttl : interval;
    }

    private void lookUp() {
        if (stopped) {
            return;
        }
        CompletionStage<Resolution> pending;
        try {
            pending = lookup.apply(config);
        } catch (RuntimeException e) {
            pending = CompletableFuture.failedFuture(e);
        }
        pending.toCompletableFuture().orTimeout(LOOKUP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync(this::looked, executor);
    }

    private void looked(Resolution answer, Throwable failure) {
        if (stopped) {
            firstLookup.complete(null);
            return;
        }
        try {
            if (failure != null) {
                trouble(Result.FAILED, "failed: " + reason(failure));
                answer = null;
            } else if (answer.endpoints().isEmpty()) {
                trouble(Result.EMPTY, config.type() == DiscoveryConfig.Type.A ? "found no A or AAAA records"
                        : "found no SRV records");
            } else {
                counted.accept(Result.OK);
                if (troubleInRow > 0) {
                    LOG.info("discovery of pool {}: {} answers again, after {} lookups that did not", pool, config.name(),
                            troubleInRow);
                    troubleInRow = 0;
                }
                answered = true;
                lastAnswerSize = answer.endpoints().size();
                announced.accept(pool, answer.endpoints());
            }
        } catch (RuntimeException e) {
            LOG.error("discovery of pool {}: the answer for {} could not be applied", pool, config.name(), e);
        } finally {
            firstLookup.complete(null);
            next = executor.schedule(this::lookUp, nextLookupIn(config.interval(), answer).toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void trouble(Result result, String what) {
        counted.accept(result);
        troubleInRow++;
        long now = nanoClock.getAsLong();
        if (troubleInRow == 1 || now - troubleLoggedAtNanos >= LOG_EVERY.toNanos()) {
            troubleLoggedAtNanos = now;
            LOG.warn("discovery of pool {}: the lookup of {} {} ({} in a row); {}", pool, config.name(), what, troubleInRow,
                    answered ? "the pool keeps the " + lastAnswerSize + " addresses of the last answer"
                            : "the pool has no backends until a lookup answers");
        }
    }

    private static String reason(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
}
