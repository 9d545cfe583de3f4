package dev.turnout.admin;

/**
 * A backend as the admin API shows it.
 *
 * @param state    operator intent as it stands: {@code active}, {@code draining}, {@code drained}
 *                 (draining with nothing in flight) or {@code disabled}
 * @param health   observed health: {@code up}, {@code down} or {@code unknown}
 * @param inflight requests sent to it and not yet answered in full
 * @param ejected  whether passive ejection has it out of rotation for now
 */
public record BackendView(String pool, String id, String address, int weight, String state, String health,
        int inflight, boolean ejected) {

    public BackendView(String pool, String id, String address, int weight, String state, String health, int inflight) {
        this(pool, id, address, weight, state, health, inflight, false);
    }
}
