package dev.turnout.proxy.health;

import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.route.RouteTable;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Recompiles the routing snapshot while a slow-start ramp is under way, so that effective weights
 * grow step by step (each step is 5 % of the ramp). Runs on the health thread.
 */
public final class SlowStartTicker {

    private static final long MIN_TICK_NANOS = Duration.ofMillis(100).toNanos();

    private final ScheduledExecutorService executor;
    private final Runnable refresh;
    private boolean tickPending;

    public SlowStartTicker(ScheduledExecutorService executor, Runnable refresh) {
        this.executor = executor;
        this.refresh = refresh;
    }

    /** Called with every published snapshot. */
    public void follow(RouteTable table) {
        executor.execute(() -> {
            long tick = Long.MAX_VALUE;
            for (Pool pool : table.pools().values()) {
                if (pool.ramping()) {
                    tick = Math.min(tick, Math.max(MIN_TICK_NANOS, pool.resilience().slowStart().toNanos() / 20));
                }
            }
            if (tick != Long.MAX_VALUE && !tickPending) {
                tickPending = true;
                executor.schedule(() -> {
                    tickPending = false;
                    refresh.run();
                }, tick, TimeUnit.NANOSECONDS);
            }
        });
    }
}
