package dev.turnout.proxy.policy;

import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Compiles routes' rules into {@link RoutePolicy}s, one registry per running Turnout. Every admin change
 * compiles a new routing snapshot; a route whose rate limit is unchanged keeps its {@link RateLimiter}, so
 * a split change does not hand every client a full bucket. A limiter is held weakly: once no snapshot
 * uses it (its route was removed or its limit changed), it and its buckets can be collected.
 */
public final class RoutePolicies {

    private final IntSupplier liveInstances;
    private final LongSupplier nanoClock;
    private final Map<String, WeakReference<RateLimiter>> limiters = new HashMap<>();

    /**
     * @param liveInstances the fleet's live instances (1 alone), read for every rate-limited request
     * @param nanoClock     {@code System::nanoTime}, or a test's clock
     */
    public RoutePolicies(IntSupplier liveInstances, LongSupplier nanoClock) {
        this.liveInstances = liveInstances;
        this.nanoClock = nanoClock;
    }

    /** For a Turnout alone, on the system clock. */
    public static RoutePolicies alone() {
        return new RoutePolicies(() -> 1, System::nanoTime);
    }

    /** The compiled policy of {@code route}, or null when it has no rules. */
    public synchronized RoutePolicy policyFor(String route, RouteRules rules) {
        if (rules.isEmpty()) {
            return null;
        }
        RateLimiter limiter = null;
        if (rules.rateLimit() != null) {
            WeakReference<RateLimiter> held = limiters.get(route);
            limiter = held == null ? null : held.get();
            if (limiter == null || !limiter.limit().equals(rules.rateLimit())) {
                limiter = new RateLimiter(rules.rateLimit(), liveInstances, nanoClock);
                limiters.put(route, new WeakReference<>(limiter));
            }
        }
        return new RoutePolicy(route, rules, limiter);
    }
}
