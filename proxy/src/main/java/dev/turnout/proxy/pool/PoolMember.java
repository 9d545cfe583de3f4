package dev.turnout.proxy.pool;

/**
 * A backend as one routing snapshot sees it: its weight and admin state, and its observed health
 * and ejection as they were when the snapshot was compiled. Views read these copies, so what
 * the admin API shows is always what the data plane is routing by.
 */
public record PoolMember(Backend backend, int weight, AdminState state, Health health, boolean ejected,
        boolean healthAllows) {

    /** The member as its backend stands now. */
    public static PoolMember of(Backend backend, int weight, AdminState state) {
        return new PoolMember(backend, weight, state, backend.health(), backend.ejected(), backend.healthAllowsTraffic());
    }

    /** Whether new requests may be sent to it: the operator and its health both allow it. */
    public boolean inRotation() {
        return state == AdminState.ACTIVE && weight > 0 && healthAllows;
    }
}
