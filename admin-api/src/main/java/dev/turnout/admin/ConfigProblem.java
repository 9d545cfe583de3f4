package dev.turnout.admin;

/**
 * One problem of a configuration that was refused.
 *
 * @param key     the key path, such as {@code turnout.routes[0].split}
 * @param problem what is wrong with it: the value found and what was expected
 */
public record ConfigProblem(String key, String problem) {
}
