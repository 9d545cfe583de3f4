package dev.turnout.proxy.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.config.Limits;
import dev.turnout.proxy.config.RouteConfig;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.control.RuntimeState.PoolState;
import dev.turnout.proxy.pool.AdminState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The saved form of a {@link RuntimeState}, shared by the state file and the etcd store: JSON
 * written from the state, and read back laid over the configured state.
 *
 * <p>Precedence: the configuration file says which pools, routes and backends exist; the saved
 * state says how they were left. A saved entry applies only where it still fits: a backend's
 * saved weight and state apply while its address in the file is unchanged (otherwise the entry is
 * dropped with a warning), a backend added at runtime comes back while its pool exists and its id
 * is free, a configured backend removed at runtime stays removed, and a saved split applies while
 * the route and every pool it names exist. A configured backend deleted from the file is gone.
 * Discovered backends are saved only as an admin change to one (a drain, a weight), which comes back
 * while its pool still has discovery; the addresses themselves are looked up again, never saved.
 */
final class StateJson {

    static final int VERSION = 1;
    private static final Logger LOG = LoggerFactory.getLogger(StateJson.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private StateJson() {
    }

    static byte[] encode(RuntimeState state) {
        ObjectNode root = JSON.createObjectNode().put("version", VERSION);
        ObjectNode pools = root.putObject("pools");
        state.pools().forEach((name, pool) -> {
            ObjectNode p = pools.putObject(name);
            ArrayNode backends = p.putArray("backends");
            for (BackendState b : pool.backends()) {
                backends.addObject()
                        .put("id", b.config().id())
                        .put("address", b.config().address().toString())
                        .put("weight", b.config().weight())
                        .put("state", b.state().configName())
                        .put("origin", b.origin().configName());
            }
            ArrayNode removed = p.putArray("removed");
            state.removedFromConfig().getOrDefault(name, Set.of()).forEach(removed::add);
        });
        ObjectNode routes = root.putObject("routes");
        for (RouteConfig route : state.routes()) {
            ObjectNode split = routes.putObject(route.name()).putObject("split");
            route.split().forEach(split::put);
        }
        root.set("rollouts", JSON.valueToTree(state.rollouts()));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render the runtime state", e);
        }
    }

    /**
     * {@code saved} laid over {@code configured}; {@code source} names where it came from in errors and logs.
     *
     * @throws ConfigError when {@code saved} is not a saved state of this version
     */
    static RuntimeState mergeOver(RuntimeState configured, byte[] saved, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(saved);
        } catch (IOException e) {
            throw new ConfigError(source + " cannot be read (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject() || root.path("version").asInt() != VERSION) {
            throw new ConfigError(source + " is not a version " + VERSION + " Turnout state");
        }
        RuntimeState merged = mergePools(configured, root.path("pools"), source);
        merged = mergeRoutes(merged, root.path("routes"), source);
        merged = mergeRollouts(merged, root.path("rollouts"), source);
        return merged;
    }

    private static RuntimeState mergePools(RuntimeState configured, JsonNode savedPools, String source) {
        Map<String, PoolState> pools = new LinkedHashMap<>();
        Map<String, Set<String>> removedFromConfig = new LinkedHashMap<>();
        for (Iterator<String> names = savedPools.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!configured.pools().containsKey(name)) {
                LOG.warn("{}: pool {} is no longer configured; its saved state is dropped", source, name);
            }
        }
        configured.pools().forEach((name, pool) -> {
            JsonNode saved = savedPools.path(name);
            Set<String> removed = new LinkedHashSet<>();
            saved.path("removed").forEach(id -> removed.add(id.asText()));
            Map<String, JsonNode> savedById = new LinkedHashMap<>();
            saved.path("backends").forEach(b -> savedById.put(b.path("id").asText(), b));

            List<BackendState> backends = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            for (BackendState b : pool.backends()) {
                String id = b.config().id();
                ids.add(id);
                if (removed.contains(id)) {
                    LOG.info("{}: {}/{} stays removed, as it was removed at runtime", source, name, id);
                    continue;
                }
                JsonNode entry = savedById.get(id);
                if (entry == null) {
                    backends.add(b);
                } else if (!entry.path("address").asText().equals(b.config().address().toString())) {
                    LOG.warn("{}: {}/{} was saved at {} but is configured at {}: saved state dropped", source, name, id,
                            entry.path("address").asText(), b.config().address());
                    backends.add(b);
                } else {
                    backends.add(restore(name, entry, b.origin(), b.config(), source));
                }
            }
            for (JsonNode entry : savedById.values()) {
                String id = entry.path("id").asText();
                if (ids.contains(id)) {
                    continue;
                }
                Origin origin = savedOrigin(entry);
                if (origin == Origin.CONFIG) {
                    LOG.info("{}: {}/{} is no longer configured: dropped", source, name, id);
                    continue;
                }
                if ((origin == Origin.DISCOVERED) != (pool.discovery() != null)) {
                    LOG.info("{}: {}/{} was {} but pool {} {}: dropped", source, name, id,
                            origin == Origin.DISCOVERED ? "discovered" : "added at runtime", name,
                            pool.discovery() != null ? "now discovers its backends" : "no longer has discovery");
                    continue;
                }
                BackendState added = restore(name, entry, origin, null, source);
                if (added != null) {
                    backends.add(added);
                }
            }
            removed.retainAll(ids);
            pools.put(name, pool.withBackends(backends));
            removedFromConfig.put(name, removed);
        });
        return new RuntimeState(pools, configured.routes(), removedFromConfig, Map.of());
    }

    private static Origin savedOrigin(JsonNode entry) {
        String text = entry.path("origin").asText();
        for (Origin origin : Origin.values()) {
            if (origin.configName().equals(text)) {
                return origin;
            }
        }
        return Origin.CONFIG;
    }

    /** A saved backend; {@code configured} is its configuration entry, or null if it was added at runtime or discovered. */
    private static BackendState restore(String pool, JsonNode entry, Origin origin, BackendConfig configured,
            String source) {
        String id = entry.path("id").asText();
        try {
            int weight = entry.path("weight").asInt(-1);
            if (weight < 0 || weight > Limits.MAX_WEIGHT) {
                throw new IllegalArgumentException("weight: " + entry.path("weight"));
            }
            AdminState state = AdminState.fromConfigName(entry.path("state").asText());
            BackendConfig config = configured;
            if (config == null) {
                HostPort address = HostPort.parse(source + " " + pool + "/" + id, entry.path("address").asText(), false);
                config = new BackendConfig(id, address, address.resolve(source + " " + pool + "/" + id), weight);
            }
            return new BackendState(new BackendConfig(id, config.address(), config.socketAddress(), weight), state, origin);
        } catch (IllegalArgumentException | ConfigError e) {
            LOG.warn("{}: {}/{} has an unusable entry ({}): {}", source, pool, id, e.getMessage(),
                    configured == null ? "dropped" : "configuration used");
            return configured == null ? null : new BackendState(configured, AdminState.ACTIVE, Origin.CONFIG);
        }
    }

    /** Rollouts come back while their route and both pools exist; one that cannot is logged, not silently lost. */
    private static RuntimeState mergeRollouts(RuntimeState state, JsonNode savedRollouts, String source) {
        Map<String, Rollout> rollouts = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> entries = savedRollouts.fields(); entries.hasNext();) {
            Map.Entry<String, JsonNode> entry = entries.next();
            Rollout rollout;
            try {
                rollout = JSON.treeToValue(entry.getValue(), Rollout.class);
            } catch (IOException | IllegalArgumentException e) {
                LOG.warn("{}: the rollout of route {} cannot be read ({}); dropped", source, entry.getKey(), e.getMessage());
                continue;
            }
            if (state.route(entry.getKey()) == null || !state.pools().containsKey(rollout.from())
                    || !state.pools().containsKey(rollout.to())) {
                LOG.warn("{}: the {} rollout of route {} from {} to {} no longer fits the configuration; dropped",
                        source, rollout.state(), entry.getKey(), rollout.from(), rollout.to());
                continue;
            }
            rollouts.put(entry.getKey(), rollout);
        }
        return state.withRollouts(rollouts);
    }

    private static RuntimeState mergeRoutes(RuntimeState state, JsonNode savedRoutes, String source) {
        RuntimeState merged = state;
        for (Iterator<String> names = savedRoutes.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (state.route(name) == null) {
                LOG.warn("{}: route {} is no longer configured; its saved split is dropped", source, name);
                continue;
            }
            Map<String, Integer> split = new LinkedHashMap<>();
            savedRoutes.path(name).path("split").fields().forEachRemaining(e -> split.put(e.getKey(), e.getValue().asInt(-1)));
            String problem = Limits.splitProblem(split, state.pools().keySet());
            if (problem != null) {
                LOG.warn("{}: saved split {} of route {} no longer fits ({}); the configured split is used",
                        source, split, name, problem);
                continue;
            }
            merged = merged.withSplit(name, split);
        }
        return merged;
    }
}
