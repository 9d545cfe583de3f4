package dev.turnout.admin;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * What a configuration reload changed ({@code POST /api/v1/config/reload}).
 *
 * @param reloadedAt when the new configuration took over (ISO-8601)
 * @param configHash the digest of the configuration now in force
 * @param routes     routes by name
 * @param pools      pools by name
 * @param backends   backends as {@code pool/id}; "changed" is a new weight or address
 * @param settings   the other keys whose value changed, such as {@code turnout.timeouts.request}
 * @param dropped    runtime changes (drains, weights, splits, rollouts, added backends) that no longer fit the
 *                   new configuration and were dropped, each in words; the others were kept
 */
@JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
public record ReloadView(String reloadedAt, String configHash, Changes routes, Changes pools, Changes backends,
        List<String> settings, List<String> dropped) {

    public ReloadView {
        settings = List.copyOf(settings);
        dropped = List.copyOf(dropped);
    }

    /** Names added, removed and changed, each list sorted. */
    public record Changes(List<String> added, List<String> removed, List<String> changed) {

        public static final Changes NONE = new Changes(List.of(), List.of(), List.of());

        public Changes {
            added = List.copyOf(added);
            removed = List.copyOf(removed);
            changed = List.copyOf(changed);
        }

        boolean none() {
            return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
        }
    }

    /** One line for the log and the audit: what changed, or that nothing did. */
    public String summary() {
        StringBuilder text = new StringBuilder();
        append(text, "routes", routes);
        append(text, "pools", pools);
        append(text, "backends", backends);
        if (!settings.isEmpty()) {
            text.append(text.length() == 0 ? "" : "; ").append("settings changed ").append(settings);
        }
        if (!dropped.isEmpty()) {
            text.append(text.length() == 0 ? "" : "; ").append(dropped.size()).append(" runtime change(s) dropped");
        }
        return text.length() == 0 ? "nothing changed (configuration " + configHash + ")"
                : text + " (configuration " + configHash + ")";
    }

    private static void append(StringBuilder text, String what, Changes changes) {
        if (changes.none()) {
            return;
        }
        text.append(text.length() == 0 ? "" : "; ").append(what);
        if (!changes.added().isEmpty()) {
            text.append(" added ").append(changes.added());
        }
        if (!changes.removed().isEmpty()) {
            text.append(" removed ").append(changes.removed());
        }
        if (!changes.changed().isEmpty()) {
            text.append(" changed ").append(changes.changed());
        }
    }
}
