package dev.turnout.admin;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The one seam between the admin surface and the data plane. The proxy implements it; the admin
 * module sees nothing else of the proxy.
 *
 * <p>Every view handed out is an immutable copy taken from one routing snapshot, so a caller never
 * observes a half-applied change. Every change is validated whole, persisted, then published; a
 * change that throws {@link ControlException} has changed nothing.
 */
public interface ControlPlane {

    /** Every pool with its backends, in name order. */
    List<PoolView> pools();

    /** One pool; {@link ControlException.Kind#NOT_FOUND} if there is none by that name. */
    PoolView pool(String pool);

    /** One backend; NOT_FOUND for an unknown pool or id. */
    BackendView backend(String pool, String id);

    /** Every route in match order. */
    List<RouteView> routes();

    /** What metrics counted per pool and backend, for the status page; null when metrics are off. */
    TrafficView traffic();

    /** The last minutes of per-second samples per pool and backend; NOT_FOUND when metrics are off. */
    HistoryView history();

    /** This process: version, uptime, client connections, cache hit ratio. */
    InstanceView instance();

    /** Adds a backend; it takes traffic at once (or once healthy, where health checks run). */
    Change<BackendView> addBackend(String pool, String id, String address, int weight);

    /** Removes a backend; CONFLICT while requests are in flight on it, unless {@code force}. */
    Change<BackendView> removeBackend(String pool, String id, boolean force);

    /** Stops new requests to the backend and closes its idle connections; in-flight ones finish. */
    Change<BackendView> drain(String pool, String id);

    /** Puts a backend back in rotation. */
    Change<BackendView> enable(String pool, String id);

    Change<BackendView> setWeight(String pool, String id, int weight);

    /** Replaces a route's split: every pool named must exist, the shares must sum to 100. */
    Change<RouteView> setSplit(String route, Map<String, Integer> split);

    /**
     * Starts a progressive canary on a route: NOT_FOUND for an unknown route or pool, BAD_REQUEST
     * for a plan that does not fit, CONFLICT while one runs there or when rollouts are off.
     */
    RolloutView startRollout(String route, RolloutPlan plan);

    /** The route's current or last rollout; NOT_FOUND if it never had one. */
    RolloutView rollout(String route);

    /** Stops a running rollout and sends all of the route to its {@code from} pool; CONFLICT if none runs. */
    RolloutView abortRollout(String route);

    /**
     * Reads the configuration again (the file, the environment, system properties), validates all of it, and
     * puts it in force in one step, keeping the runtime changes that still fit. UNPROCESSABLE with every
     * problem when it does not validate, CONFLICT naming the keys that need a restart; either changes nothing.
     */
    ReloadView reloadConfiguration();

    /**
     * Drops cached answers whose request target starts with {@code prefix} ("" for all).
     *
     * @return how many were dropped
     */
    int purgeCache(String prefix);

    /**
     * Drops cached answers whose {@code Surrogate-Key} or {@code Cache-Tag} named any of {@code tags}.
     *
     * @return how many were dropped
     */
    int purgeCacheTags(Set<String> tags);

    /**
     * Completes when the backend has no request in flight (at once if it has none). The caller
     * bounds the wait; nothing blocks.
     */
    CompletionStage<Void> whenIdle(String pool, String id);
}
