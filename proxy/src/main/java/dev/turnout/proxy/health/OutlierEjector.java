package dev.turnout.proxy.health;

import dev.turnout.proxy.config.ResilienceConfig;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.route.RouteTable;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive ejection: a backend that fails {@code consecutive-failures} exchanges in a row
 * (connect failure, reset, 5xx), or refuses a connection once, leaves rotation for
 * {@code base-time}, doubled on each repeat up to {@link #MAX_EJECTION}, or until its health
 * checks pass again. Never more than {@code max-ejection-percent} of a pool at once, so
 * ejection alone cannot empty it.
 *
 * <p>Event loops only report; counting ejections, deciding and publishing happen on the health
 * thread, so an event loop never waits on the routing lock.
 */
public final class OutlierEjector {

    private static final Logger LOG = LoggerFactory.getLogger(OutlierEjector.class);
    private static final Duration MAX_EJECTION = Duration.ofMinutes(5);

    private final ScheduledExecutorService executor;
    private final Supplier<RouteTable> current;
    private final Runnable refresh;
    private final Map<Backend, Integer> ejections = new HashMap<>();

    public OutlierEjector(ScheduledExecutorService executor, Supplier<RouteTable> current, Runnable refresh) {
        this.executor = executor;
        this.current = current;
        this.refresh = refresh;
    }

    /** From an event loop: {@code backend} of {@code pool} has just failed {@code inARow} times in a row. */
    public void onFailure(Backend backend, Pool pool, int inARow) {
        int threshold = pool.resilience().ejectAfter();
        if (threshold > 0 && inARow % threshold == 0) {
            executor.execute(() -> eject(backend, pool.name()));
        }
    }

    /**
     * From an event loop: {@code backend} refused a connection. Nothing listens there, which is
     * certain enough to take it out of rotation for new picks at once rather than after
     * {@code consecutive-failures} (within the same cap, back the same way).
     */
    public void onRefused(Backend backend, Pool pool) {
        if (!backend.ejected()) {
            executor.execute(() -> eject(backend, pool.name()));
        }
    }

    private void eject(Backend backend, String poolName) {
        Pool pool = current.get().pools().get(poolName);
        if (backend.ejected() || pool == null) {
            return;
        }
        ResilienceConfig resilience = pool.resilience();
        int members = pool.members().size();
        long ejectedNow = pool.members().stream().map(PoolMember::backend).filter(Backend::ejected).count();
        if ((ejectedNow + 1) * 100 > (long) resilience.maxEjectionPercent() * members) {
            LOG.warn("backend {} keeps failing but is not ejected: {} of {} backends already are (max-ejection-percent {})",
                    backend, ejectedNow, members, resilience.maxEjectionPercent());
            return;
        }
        int times = ejections.merge(backend, 1, Integer::sum);
        long nanos = Math.min(resilience.ejectionTime().toNanos() << Math.min(times - 1, 10), MAX_EJECTION.toNanos());
        backend.ejected(true);
        LOG.warn("backend {} ejected for {} ms after repeated failures (ejection {})", backend,
                TimeUnit.NANOSECONDS.toMillis(nanos), times);
        refresh.run();
        executor.schedule(() -> {
            backend.ejected(false);
            backend.recordSuccess();
            LOG.info("backend {} back from ejection", backend);
            refresh.run();
        }, nanos, TimeUnit.NANOSECONDS);
    }
}
