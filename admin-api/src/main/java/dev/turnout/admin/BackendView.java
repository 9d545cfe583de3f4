package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A backend as the admin API shows it.
 *
 * @param state    operator intent as it stands: {@code active}, {@code draining}, {@code drained}
 *                 (draining with nothing in flight) or {@code disabled}
 * @param health   observed health: {@code up}, {@code down} or {@code unknown}
 * @param inflight requests sent to it and not yet answered in full; in a fleet, by every instance
 * @param ejected    whether passive ejection has it out of rotation for now
 * @param discovered whether DNS discovery found it (its id is its address), rather than the file or the admin API
 * @param fleet      in a fleet (etcd state store), the in-flight count per instance; null otherwise
 */
public record BackendView(String pool, String id, String address, int weight, String state, String health,
        int inflight, boolean ejected, boolean discovered,
        @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Integer> fleet) {

    public BackendView {
        fleet = fleet == null ? null : Collections.unmodifiableMap(new TreeMap<>(fleet));
    }

    public BackendView(String pool, String id, String address, int weight, String state, String health, int inflight,
            boolean ejected) {
        this(pool, id, address, weight, state, health, inflight, ejected, false, null);
    }

    public BackendView(String pool, String id, String address, int weight, String state, String health, int inflight) {
        this(pool, id, address, weight, state, health, inflight, false);
    }
}
