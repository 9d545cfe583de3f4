package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.pool.AdminState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.PoolMember;
import dev.turnout.proxy.route.RouteTable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rules an attempt applies before anything reaches a backend. */
class AttemptTest {

    private static RouteTable table(String poolExtra) {
        return RouteTable.fromConfig(ConfigLoader.parse("turnout { listen = \"127.0.0.1:0\", state-file = \"\"\n"
                + "pools { app { " + poolExtra + " backends = [ { id = b0, address = \"127.0.0.1:9\" } ] } }\n"
                + "routes = [ { name = r, split { app = 100 } } ] }"));
    }

    /** The same table with {@code backend} draining, as a drain publishes it. */
    private static RouteTable draining(RouteTable table, Backend backend) {
        Pool pool = table.pools().get("app");
        Pool drained = new Pool(pool.name(), pool.balancer(), List.of(PoolMember.of(backend, 1, AdminState.DRAINING)),
                pool.healthCheck(), pool.resilience(), pool.carryOver(), pool.transport(), System.nanoTime());
        return new RouteTable(table.routes(), Map.of("app", drained), table.settings());
    }

    @Test
    void aPickCountsInFlightAndStandsWhileTheBackendIsInRotation() {
        RouteTable table = table("");
        Backend b0 = table.pools().get("app").pick();
        assertTrue(Attempt.countIn(b0, new RoutingState(table), table));
        assertEquals(1, b0.inflight());
        assertTrue(Attempt.countIn(b0, new RoutingState(table), null), "no snapshot named: in rotation now");
        assertEquals(2, b0.inflight());
    }

    @Test
    void aPickThatADrainRacedIsWithdrawn() {
        RouteTable before = table("");
        Backend b0 = before.pools().get("app").pick();
        RoutingState afterDrain = new RoutingState(draining(before, b0));

        assertFalse(Attempt.countIn(b0, afterDrain, before), "picked from the old snapshot, drained in the new one");
        assertFalse(Attempt.countIn(b0, afterDrain, null));
        assertEquals(0, b0.inflight(), "a withdrawn pick leaves nothing counted for the drain to wait for");
        assertTrue(Attempt.countIn(b0, afterDrain, afterDrain.current()),
                "a pick from the snapshot in force stands: it was in rotation there");
        b0.requestFinished();
    }

    /** For HTTP/1.1 pools the cap alone decides: no connector is asked about HTTP/2 connections being opened. */
    private static final FrontendShared HTTP1_ONLY = null;

    @Test
    void theConnectionCapCountsOpenAndOpeningConnections() {
        Pool capped = table("max-connections = 1, max-pending = 1,").pools().get("app");
        Backend b0 = capped.pick();
        assertTrue(Attempt.roomForConnection(HTTP1_ONLY, capped, b0));
        b0.connectStarted();
        assertFalse(Attempt.roomForConnection(HTTP1_ONLY, capped, b0), "one being opened fills a cap of one");

        Pool open = table("").pools().get("app");
        Backend free = open.pick();
        for (int i = 0; i < 100; i++) {
            free.connectStarted();
        }
        assertTrue(Attempt.roomForConnection(HTTP1_ONLY, open, free), "no cap configured");
    }
}
