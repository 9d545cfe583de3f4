package dev.turnout.proxy.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.admin.RolloutView;
import dev.turnout.proxy.config.BackendConfig;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.HostPort;
import dev.turnout.proxy.config.Limits;
import dev.turnout.proxy.config.RouteConfig;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.PoolState;
import dev.turnout.proxy.pool.AdminState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * Saves runtime changes so they survive a restart, and lays them over the configuration at start.
 *
 * <p>Precedence at start: the configuration file says which pools, routes and backends exist; the
 * state file says how they were left. A saved entry applies only where it still fits: a backend's
 * saved weight and state apply while its address in the file is unchanged (otherwise the entry is
 * dropped with a warning), a backend added at runtime comes back while its pool exists and its id
 * is free, a configured backend removed at runtime stays removed, and a saved split applies while
 * the route and every pool it names exist. A configured backend deleted from the file is gone.
 *
 * <p>Writes are atomic: a temporary file in the same directory, fsync, rename, fsync of the
 * directory. A crash leaves the old state or the new one, never half of either.
 */
final class StateFile {

    private static final Logger LOG = LoggerFactory.getLogger(StateFile.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int VERSION = 1;

    private final Path path;

    StateFile(Path path) {
        this.path = path.toAbsolutePath();
    }

    void save(RuntimeState state) {
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
                        .put("origin", b.addedAtRuntime() ? "runtime" : "config");
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
            Path dir = path.getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
            try {
                try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer bytes = ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
                    while (bytes.hasRemaining()) {
                        out.write(bytes);
                    }
                    out.force(true);
                }
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write state file " + path + ": " + e.getMessage(), e);
        }
    }

    /** The configured state with the saved one laid over it, or {@code configured} if none is saved. */
    RuntimeState loadOver(RuntimeState configured) {
        if (!Files.exists(path)) {
            return configured;
        }
        JsonNode root;
        try {
            root = JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new ConfigError("turnout.state-file: " + path + " cannot be read (" + e.getMessage()
                    + "); fix or delete it to start from the configuration alone");
        }
        if (root == null || !root.isObject() || root.path("version").asInt() != VERSION) {
            throw new ConfigError("turnout.state-file: " + path + " is not a version " + VERSION
                    + " Turnout state file; fix or delete it to start from the configuration alone");
        }
        RuntimeState merged = mergePools(configured, root.path("pools"));
        merged = mergeRoutes(merged, root.path("routes"));
        merged = mergeRollouts(merged, root.path("rollouts"));
        LOG.info("runtime state loaded from {}", path);
        return merged;
    }

    private RuntimeState mergePools(RuntimeState configured, JsonNode savedPools) {
        Map<String, PoolState> pools = new LinkedHashMap<>();
        Map<String, Set<String>> removedFromConfig = new LinkedHashMap<>();
        for (Iterator<String> names = savedPools.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!configured.pools().containsKey(name)) {
                LOG.warn("state file: pool {} is no longer configured; its saved state is dropped", name);
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
                    LOG.info("state file: {}/{} stays removed, as it was removed at runtime", name, id);
                    continue;
                }
                JsonNode entry = savedById.get(id);
                if (entry == null) {
                    backends.add(b);
                } else if (!entry.path("address").asText().equals(b.config().address().toString())) {
                    LOG.warn("state file: {}/{} was saved at {} but is configured at {}: saved state dropped", name, id,
                            entry.path("address").asText(), b.config().address());
                    backends.add(b);
                } else {
                    backends.add(restore(name, entry, b.addedAtRuntime(), b.config()));
                }
            }
            for (JsonNode entry : savedById.values()) {
                String id = entry.path("id").asText();
                if (ids.contains(id)) {
                    continue;
                }
                if (!"runtime".equals(entry.path("origin").asText())) {
                    LOG.info("state file: {}/{} is no longer configured: dropped", name, id);
                    continue;
                }
                BackendState added = restore(name, entry, true, null);
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

    /** A saved backend; {@code configured} is its configuration entry, or null if it was added at runtime. */
    private BackendState restore(String pool, JsonNode entry, boolean addedAtRuntime, BackendConfig configured) {
        String id = entry.path("id").asText();
        try {
            int weight = entry.path("weight").asInt(-1);
            if (weight < 0 || weight > Limits.MAX_WEIGHT) {
                throw new IllegalArgumentException("weight: " + entry.path("weight"));
            }
            AdminState state = AdminState.fromConfigName(entry.path("state").asText());
            BackendConfig config = configured;
            if (config == null) {
                HostPort address = HostPort.parse("state file " + pool + "/" + id, entry.path("address").asText(), false);
                config = new BackendConfig(id, address, address.resolve("state file " + pool + "/" + id), weight);
            }
            return new BackendState(new BackendConfig(id, config.address(), config.socketAddress(), weight), state,
                    addedAtRuntime);
        } catch (IllegalArgumentException | ConfigError e) {
            LOG.warn("state file: {}/{} has an unusable entry ({}): {}", pool, id, e.getMessage(),
                    configured == null ? "dropped" : "configuration used");
            return configured == null ? null : new BackendState(configured, AdminState.ACTIVE, false);
        }
    }

    /** Rollouts come back while their route and both pools exist; one that cannot is logged, not silently lost. */
    private RuntimeState mergeRollouts(RuntimeState state, JsonNode savedRollouts) {
        Map<String, RolloutView> rollouts = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> entries = savedRollouts.fields(); entries.hasNext();) {
            Map.Entry<String, JsonNode> entry = entries.next();
            RolloutView rollout;
            try {
                rollout = JSON.treeToValue(entry.getValue(), RolloutView.class);
            } catch (IOException | IllegalArgumentException e) {
                LOG.warn("state file: the rollout of route {} cannot be read ({}); dropped", entry.getKey(), e.getMessage());
                continue;
            }
            if (state.route(entry.getKey()) == null || !state.pools().containsKey(rollout.from())
                    || !state.pools().containsKey(rollout.to())) {
                LOG.warn("state file: the {} rollout of route {} from {} to {} no longer fits the configuration; dropped",
                        rollout.state(), entry.getKey(), rollout.from(), rollout.to());
                continue;
            }
            rollouts.put(entry.getKey(), rollout);
        }
        return state.withRollouts(rollouts);
    }

    private RuntimeState mergeRoutes(RuntimeState state, JsonNode savedRoutes) {
        RuntimeState merged = state;
        for (Iterator<String> names = savedRoutes.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (state.route(name) == null) {
                LOG.warn("state file: route {} is no longer configured; its saved split is dropped", name);
                continue;
            }
            Map<String, Integer> split = new LinkedHashMap<>();
            savedRoutes.path(name).path("split").fields().forEachRemaining(e -> split.put(e.getKey(), e.getValue().asInt(-1)));
            String problem = Limits.splitProblem(split, state.pools().keySet());
            if (problem != null) {
                LOG.warn("state file: saved split {} of route {} no longer fits ({}); the configured split is used",
                        split, name, problem);
                continue;
            }
            merged = merged.withSplit(name, split);
        }
        return merged;
    }
}
