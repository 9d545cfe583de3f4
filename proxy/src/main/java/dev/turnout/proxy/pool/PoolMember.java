package dev.turnout.proxy.pool;

/** A backend as one routing snapshot sees it: with its weight and admin state at that time. */
public record PoolMember(Backend backend, int weight, AdminState state) {

    /** Whether new requests may be sent to it. */
    public boolean inRotation() {
        return state == AdminState.ACTIVE && weight > 0;
    }
}
