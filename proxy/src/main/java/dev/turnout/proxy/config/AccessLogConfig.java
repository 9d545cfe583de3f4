package dev.turnout.proxy.config;

import java.nio.file.Path;

/**
 * Where access-log lines go.
 *
 * @param file the file Turnout writes itself, or null: the {@code turnout.access} logger (Logback decides)
 * @param json one Elastic Common Schema JSON object a line instead of the text line
 */
public record AccessLogConfig(Path file, boolean json) {
}
