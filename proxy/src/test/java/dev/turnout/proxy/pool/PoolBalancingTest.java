package dev.turnout.proxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.PoolConfig;
import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.config.ResilienceConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolBalancingTest {

    private static final long SECOND = 1_000_000_000L;
    private final long now = 1_000 * SECOND;

    private static Backend backend(String id) {
        return new Backend("app", id, "127.0.0.1:1", InetSocketAddress.createUnresolved("127.0.0.1", 1));
    }

    private static ResilienceConfig resilience(Duration slowStart) {
        return new ResilienceConfig(2, 20, 5, Duration.ofSeconds(10), 50, slowStart, 0, 0);
    }

    private Pool pool(PoolConfig.Balancer balancer, Duration slowStart, List<PoolMember> members) {
        return new Pool("app", balancer, members, null, resilience(slowStart), PoolCarryOver.fresh(),
                PoolTransport.PLAIN_HTTP1, now);
    }

    private static Map<String, Integer> picks(Pool pool, int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(pool.pick().id(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void slowStartRampsFromFivePercentToTheWholeWeight() {
        long ramp = 30 * SECOND;
        assertEquals(1, SlowStart.steps(now, now, ramp), "5 % at the start");
        assertEquals(10, SlowStart.steps(now - 15 * SECOND, now, ramp), "half way: half the weight");
        assertEquals(SlowStart.STEPS, SlowStart.steps(now - 30 * SECOND, now, ramp));
        assertEquals(SlowStart.STEPS, SlowStart.steps(0, now, ramp), "never ramped");
        assertEquals(SlowStart.STEPS, SlowStart.steps(now, now, 0), "slow start off");
    }

    @Test
    void aRampingBackendGetsItsShareOfTheRampOnly() {
        Backend warm = backend("warm");
        Backend cold = backend("cold");
        cold.startRamp(now - 3 * SECOND);
        Pool pool = pool(PoolConfig.Balancer.WEIGHTED_ROUND_ROBIN, Duration.ofSeconds(30),
                List.of(PoolMember.of(warm, 1, AdminState.ACTIVE), PoolMember.of(cold, 1, AdminState.ACTIVE)));

        assertTrue(pool.ramping());
        // 3 s of a 30 s ramp: 2 steps of 20, so 2 picks for every 20 to the warm one.
        assertEquals(Map.of("warm", 200, "cold", 20), picks(pool, 220));

        Pool later = new Pool("app", PoolConfig.Balancer.WEIGHTED_ROUND_ROBIN, pool.members(), null,
                resilience(Duration.ofSeconds(30)), PoolCarryOver.fresh(), PoolTransport.PLAIN_HTTP1,
                now + 27 * SECOND);
        assertFalse(later.ramping());
        assertEquals(Map.of("warm", 10, "cold", 10), picks(later, 20));
    }

    @Test
    void leastRequestPrefersTheBackendWithFewerRequestsInFlight() {
        Backend slow = backend("slow");
        Backend fast = backend("fast");
        for (int i = 0; i < 5; i++) {
            slow.requestStarted();
        }
        Pool pool = pool(PoolConfig.Balancer.LEAST_REQUEST, Duration.ZERO,
                List.of(PoolMember.of(slow, 1, AdminState.ACTIVE), PoolMember.of(fast, 1, AdminState.ACTIVE)));

        assertEquals(Map.of("fast", 100), picks(pool, 100), "with two members both are always compared");
    }

    @Test
    void leastRequestWeighsRequestsInFlightByWeight() {
        Backend big = backend("big");
        Backend small = backend("small");
        big.requestStarted();
        big.requestStarted();
        small.requestStarted();
        Pool pool = pool(PoolConfig.Balancer.LEAST_REQUEST, Duration.ZERO,
                List.of(PoolMember.of(big, 3, AdminState.ACTIVE), PoolMember.of(small, 1, AdminState.ACTIVE)));

        // (2 + 1) / 3 = 1 for big against (1 + 1) / 1 = 2 for small.
        assertEquals(Map.of("big", 50), picks(pool, 50));
    }

    @Test
    void leastRequestSkipsMembersOutOfRotation() {
        Backend drained = backend("drained");
        Backend busy = backend("busy");
        busy.requestStarted();
        Pool pool = pool(PoolConfig.Balancer.LEAST_REQUEST, Duration.ZERO,
                List.of(PoolMember.of(drained, 1, AdminState.DRAINING), PoolMember.of(busy, 1, AdminState.ACTIVE)));

        assertEquals(Map.of("busy", 10), picks(pool, 10));
    }
}
