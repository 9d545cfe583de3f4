package dev.turnout.admin;

/** An accepted change: the object before and after, for the answer and the audit log. */
public record Change<T>(T before, T after) {
}
