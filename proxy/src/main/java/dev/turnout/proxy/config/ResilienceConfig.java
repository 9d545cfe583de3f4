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
 */
public record ResilienceConfig(int retries, int retryBudgetPercent, int ejectAfter, Duration ejectionTime,
        int maxEjectionPercent, Duration slowStart) {
}
