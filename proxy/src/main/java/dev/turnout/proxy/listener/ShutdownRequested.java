package dev.turnout.proxy.listener;

/** Fired down each client pipeline on shutdown: finish the exchange in progress, then close. */
enum ShutdownRequested {
    INSTANCE
}
