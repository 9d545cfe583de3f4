package dev.turnout.proxy.control;

import dev.turnout.admin.InstanceView;
import dev.turnout.admin.ReloadView;
import dev.turnout.proxy.stats.TrafficHistory;
import dev.turnout.proxy.stats.TrafficSummary;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * What {@link RuntimeControl} hands admin calls to beyond the routing state, given when it is built. Each is null
 * where this proxy runs without it; {@link #NONE} has none, and each {@code with} adds one.
 *
 * @param purgeCache     drops the response cache's answers by request-target prefix; null without a cache
 * @param purgeCacheTags drops them by surrogate key or cache tag; null without a cache
 * @param traffic        what metrics counted per pool and backend; null when metrics are off
 * @param history        the last minutes of per-second samples; null when metrics are off
 * @param instance       this process
 * @param reload         reads and checks the configuration again; null when there is no configuration to read again
 */
public record ControlCollaborators(ToIntFunction<String> purgeCache, ToIntFunction<Set<String>> purgeCacheTags,
        Supplier<TrafficSummary> traffic, Supplier<TrafficHistory.Samples> history, Supplier<InstanceView> instance,
        Supplier<ReloadView> reload) {

    public static final ControlCollaborators NONE = new ControlCollaborators(null, null, null, null, null, null);

    public ControlCollaborators withCache(ToIntFunction<String> byPrefix, ToIntFunction<Set<String>> byTags) {
        return new ControlCollaborators(byPrefix, byTags, traffic, history, instance, reload);
    }

    public ControlCollaborators withMetrics(Supplier<TrafficSummary> counted, Supplier<TrafficHistory.Samples> sampled) {
        return new ControlCollaborators(purgeCache, purgeCacheTags, counted, sampled, instance, reload);
    }

    public ControlCollaborators withInstance(Supplier<InstanceView> process) {
        return new ControlCollaborators(purgeCache, purgeCacheTags, traffic, history, process, reload);
    }

    public ControlCollaborators withReload(Supplier<ReloadView> reloader) {
        return new ControlCollaborators(purgeCache, purgeCacheTags, traffic, history, instance, reloader);
    }
}
