package dev.turnout.proxy.config;

import java.time.Duration;

/**
 * How a pool rides out failing backends.
 *
 * @param retries             further attempts on another backend for a request that failed before
 *                            any answer byte (connect refused or timed out, reset); 0 disables
 * @param retryBudgetPercent  retries may add at most this share of the pool's requests
 * @param ejectAfter          consecutive failures (connect, reset, 5xx) that eject a backend; 0 disables
 * @param ejectionTime        the first ejection's length; it doubles on each repeat, up to 10 times
 * @param maxEjectionPercent  at most this share of a pool's backends is ejected at once
 * @param slowStart           a backend that comes up or is enabled ramps its weight over this long; 0 is off
 * @param maxConnections      open connections per backend (busy and idle); 0 is no limit
 * @param maxPending          connections being opened per backend at once; 0 is no limit
 */
public record ResilienceConfig(int retries, int retryBudgetPercent, int ejectAfter, Duration ejectionTime,
        int maxEjectionPercent, Duration slowStart, int maxConnections, int maxPending) {

    /** The most {@code retries} a pool may set. */
    public static final int MAX_RETRIES = 5;

    /** Whether {@code backend} may open one more connection. */
    public boolean roomFor(int openConnections, int pendingConnects) {
        return (maxConnections == 0 || openConnections < maxConnections) && (maxPending == 0 || pendingConnects < maxPending);
    }
}
