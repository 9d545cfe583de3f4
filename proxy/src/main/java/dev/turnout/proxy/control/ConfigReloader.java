package dev.turnout.proxy.control;

import dev.turnout.admin.ConfigProblem;
import dev.turnout.admin.ControlException;
import dev.turnout.admin.ReloadStatus;
import dev.turnout.admin.ReloadView;
import dev.turnout.proxy.config.ConfigDiff;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.metrics.ReloadMetrics;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A configuration reload (SIGHUP or {@code POST /api/v1/config/reload}): read the configuration again, refuse
 * it whole when it does not validate (every problem, 422) or changes a key only a restart can (409), else hand
 * it to {@link RuntimeControl#reconfigure}, which puts its routes, pools and settings in force in one snapshot.
 * Every outcome is logged, counted and kept as the last reload for the status page. One reload at a time.
 */
public final class ConfigReloader {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

    private final Supplier<TurnoutConfig> source;
    private final RuntimeControl control;
    private final Consumer<TurnoutConfig> preparing;
    private final Consumer<TurnoutConfig> onReloaded;
    private final ReloadMetrics metrics;
    private final Clock clock;
    private volatile TurnoutConfig active;
    private volatile ReloadStatus last;

    /**
     * @param source  reads the configuration again (the file, the environment, system properties); throws
     *                {@link ConfigError} for one that does not validate
     * @param initial the configuration in force
     * @param metrics where outcomes are counted, or null without metrics
     * @param preparing  readies what a configuration needs before it is put in force (the TLS contexts of new pools);
     *                   a failure refuses the reload
     * @param onReloaded told each configuration put in force, after the routing state took it
     */
    public ConfigReloader(Supplier<TurnoutConfig> source, TurnoutConfig initial, RuntimeControl control, ReloadMetrics metrics,
            Clock clock, Consumer<TurnoutConfig> preparing, Consumer<TurnoutConfig> onReloaded) {
        this.source = source;
        this.preparing = preparing;
        this.onReloaded = onReloaded;
        this.active = initial;
        this.control = control;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** The configuration in force. */
    public TurnoutConfig active() {
        return active;
    }

    /** The last reload, or null when there was none. */
    public ReloadStatus lastReload() {
        return last;
    }

    /**
     * Reloads, or throws a {@link ControlException} (UNPROCESSABLE or CONFLICT, each problem naming its key)
     * having changed nothing.
     */
    public synchronized ReloadView reload() {
        Instant at = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        TurnoutConfig next;
        try {
            next = source.get();
        } catch (ConfigError e) {
            List<ConfigProblem> problems = e.all().stream().map(p -> new ConfigProblem(p.key(), p.problem())).toList();
            String message = (problems.size() == 1 ? "the configuration does not validate: " + e.getMessage()
                    : "the configuration has " + problems.size() + " problems") + "; nothing was changed";
            refuse(at, ReloadMetrics.Result.FAILURE, message, problems);
            throw ControlException.invalidConfiguration(message, problems);
        }
        List<ConfigProblem> restart = ConfigDiff.needingRestart(active, next).stream()
                .map(r -> new ConfigProblem(r.key(), r.problem())).toList();
        if (!restart.isEmpty()) {
            String message = String.join(", ", restart.stream().map(ConfigProblem::key).toList())
                    + (restart.size() == 1 ? " needs" : " need") + " a restart; nothing was changed";
            refuse(at, ReloadMetrics.Result.REFUSED, message, restart);
            throw ControlException.needsRestart(message, restart);
        }
        List<String> settings = ConfigDiff.settingsChanged(active, next);
        RuntimeControl.Reconfigured done;
        try {
            preparing.accept(next);
            done = control.reconfigure(next);
        } catch (RuntimeException e) {
            String message = "the new configuration could not be put in force (" + e.getMessage() + "); nothing was changed";
            refuse(at, ReloadMetrics.Result.FAILURE, message, List.of());
            throw e;
        }
        active = next;
        onReloaded.accept(next);
        StateChanges changes = done.changes();
        ReloadView reloaded = new ReloadView(at.toString(), next.hash(), changes.routes(), changes.pools(),
                changes.backends(), settings, done.dropped());
        last = new ReloadStatus(at.toString(), ReloadMetrics.Result.SUCCESS.label(), reloaded.summary());
        if (metrics != null) {
            metrics.reloaded(ReloadMetrics.Result.SUCCESS, next.hash(), at.toEpochMilli());
        }
        LOG.info("configuration reloaded: {}", reloaded.summary());
        return reloaded;
    }

    private void refuse(Instant at, ReloadMetrics.Result result, String message, List<ConfigProblem> problems) {
        last = new ReloadStatus(at.toString(), result.label(), message);
        if (metrics != null) {
            metrics.reloaded(result, active.hash(), at.toEpochMilli());
        }
        LOG.error("configuration reload {}: {}", result.label(), message);
        problems.forEach(p -> LOG.error("configuration reload {}: {}{}", result.label(), p.key().isEmpty() ? "" : p.key() + ": ",
                p.problem()));
    }
}
