package dev.turnout.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.control.RuntimeState.BackendState;
import dev.turnout.proxy.control.RuntimeState.Origin;
import dev.turnout.proxy.discovery.DiscoveredSet;
import dev.turnout.proxy.discovery.Endpoint;
import dev.turnout.proxy.pool.AdminState;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class DiscoveredPoolsTest {

    private static final RuntimeState CONFIGURED = RuntimeState.fromConfig(ConfigLoader.parse("""
            turnout {
              pools {
                app { discovery { dns = "app.test", port = 8080 } }
                static { backends = [ { id = s1, address = "127.0.0.1:9001" } ] }
              }
              routes = [ { name = web, split { app = 100 } } ]
            }
            """));

    private static Endpoint at(String ip, int weight) {
        return new Endpoint(new InetSocketAddress(ip, 8080), weight);
    }

    /** The app pool's backends: id to "state weight origin". */
    private static Map<String, String> app(RuntimeState state) {
        Map<String, String> shown = new TreeMap<>();
        state.pools().get("app").backends().forEach(b -> shown.put(b.config().id(),
                b.state().configName() + " " + b.config().weight() + " " + b.origin().configName()));
        return shown;
    }

    private static BackendState kept(RuntimeState state, String id, AdminState adminState, int weight) {
        BackendState discovered = new DiscoveredPools(Map.of("app", DiscoveredSet.NONE.next(List.of(at("10.0.0.2", 1),
                at("10.0.0.3", 1))))).over(state).pools().get("app").backend(id);
        return discovered.withState(adminState).withWeight(weight);
    }

    @Test
    void theAnnouncedAddressesAreTheDiscoveryPoolsBackendsAndOtherPoolsAreLeftAlone() {
        DiscoveredPools pools = new DiscoveredPools(Map.of("app", DiscoveredSet.NONE.next(List.of(at("10.0.0.2", 3))),
                "static", DiscoveredSet.NONE.next(List.of(at("10.0.0.9", 1)))));

        RuntimeState over = pools.over(CONFIGURED);

        assertEquals(Map.of("10.0.0.2:8080", "active 3 discovered"), app(over));
        assertSame(CONFIGURED.pools().get("static"), over.pools().get("static"), "a pool without discovery has what it lists");
        assertTrue(pools.discovered("app", "10.0.0.2:8080"));
        assertFalse(pools.discovered("static", "s1"));
        assertEquals(Map.of(), app(DiscoveredPools.NONE.over(CONFIGURED)));
    }

    @Test
    void anAdminChangeKeptForAnAddressAppliesWhileItIsAnnounced() {
        RuntimeState state = CONFIGURED.withBackend("app", kept(CONFIGURED, "10.0.0.2:8080", AdminState.DRAINING, 7))
                .withBackend("app", kept(CONFIGURED, "10.0.0.3:8080", AdminState.DISABLED, 1));
        DiscoveredSet announced = DiscoveredSet.NONE.next(List.of(at("10.0.0.2", 1), at("10.0.0.3", 1), at("10.0.0.4", 1)));

        assertEquals(Map.of("10.0.0.2:8080", "draining 7 discovered", "10.0.0.3:8080", "disabled 1 discovered",
                "10.0.0.4:8080", "active 1 discovered"), app(new DiscoveredPools(Map.of("app", announced)).over(state)));
        DiscoveredSet fewer = announced.next(List.of(at("10.0.0.4", 1)));
        assertEquals(Map.of("10.0.0.4:8080", "active 1 discovered"),
                app(new DiscoveredPools(Map.of("app", fewer.without("10.0.0.2:8080").without("10.0.0.3:8080"))).over(state)),
                "a change kept for an address not announced routes nothing");
    }

    @Test
    void aVanishedAddressDrainsForRoutingWhileTheAdminSeesItsIntent() {
        DiscoveredSet set = DiscoveredSet.NONE.next(List.of(at("10.0.0.2", 1), at("10.0.0.3", 1)))
                .next(List.of(at("10.0.0.3", 1)));
        RuntimeState state = CONFIGURED.withBackend("app", kept(CONFIGURED, "10.0.0.3:8080", AdminState.DISABLED, 1));
        DiscoveredPools pools = new DiscoveredPools(Map.of("app", set));

        assertEquals("draining 1 discovered", app(pools.over(state)).get("10.0.0.2:8080"));
        assertEquals("active 1 discovered", app(pools.intentOver(state)).get("10.0.0.2:8080"));
        assertEquals("disabled 1 discovered", app(pools.over(state)).get("10.0.0.3:8080"), "disabled stays disabled");
    }

    @Test
    void aChangeThatLeavesABackendAsDnsHasItKeepsNothing() {
        DiscoveredPools pools = new DiscoveredPools(Map.of("app", DiscoveredSet.NONE.next(List.of(at("10.0.0.2", 4)))));
        BackendState discovered = pools.over(CONFIGURED).pools().get("app").backend("10.0.0.2:8080");

        RuntimeState drained = pools.withChange(CONFIGURED, "app", discovered.withState(AdminState.DRAINING));
        assertEquals(Map.of("10.0.0.2:8080", "draining 4 discovered"), app(drained));
        assertEquals(Origin.DISCOVERED, drained.pools().get("app").backend("10.0.0.2:8080").origin());

        assertEquals(Map.of(), app(pools.withChange(drained, "app", discovered)), "enabled at the record's weight");
        assertEquals(Map.of("10.0.0.2:8080", "active 2 discovered"),
                app(pools.withChange(CONFIGURED, "app", discovered.withWeight(2))));
    }
}
