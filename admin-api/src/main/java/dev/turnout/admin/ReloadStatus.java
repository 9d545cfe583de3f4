package dev.turnout.admin;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * The last configuration reload, as the status page shows it.
 *
 * @param at      when it was asked for (ISO-8601)
 * @param result  {@code success}; {@code failure}: the configuration did not validate; {@code refused}: it
 *                changes a key that needs a restart
 * @param message what changed, or why it was refused
 */
@JsonNaming(PropertyNamingStrategies.KebabCaseStrategy.class)
public record ReloadStatus(String at, String result, String message) {
}
