package dev.turnout.proxy.upstream;

/** One health probe's result and what the log says about it ("status 200", "connection refused", ...). */
public record ProbeOutcome(boolean passed, String detail) {
}
