package dev.turnout.proxy.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Where runtime changes are shared ({@code turnout.state}).
 *
 * @param etcd the etcd connection when {@code store = etcd}, null for {@code store = file}
 */
public record StateStoreConfig(Etcd etcd) {

    /**
     * @param prefix   every key Turnout writes lives under it; instances with the same prefix are one fleet
     * @param instance this instance's name in the fleet (in-flight counts, rollout leadership)
     * @param timeout  how long one etcd call may take before an admin write is refused with 503
     * @param leaseTtl how long a silent instance still counts (its in-flight requests, its leadership)
     */
    public record Etcd(List<URI> endpoints, String prefix, String instance, Duration timeout, Duration leaseTtl) {

        public Etcd {
            endpoints = List.copyOf(endpoints);
        }
    }

    public static final StateStoreConfig FILE = new StateStoreConfig(null);

    public boolean shared() {
        return etcd != null;
    }
}
