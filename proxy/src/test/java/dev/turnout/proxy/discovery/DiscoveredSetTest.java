package dev.turnout.proxy.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DiscoveredSetTest {

    private static Endpoint at(String ip) {
        return at(ip, 1);
    }

    private static Endpoint at(String ip, int weight) {
        return new Endpoint(new InetSocketAddress(ip, 8080), weight);
    }

    /** id to "weight" or "weight vanished", in the set's order. */
    private static Map<String, String> shown(DiscoveredSet set) {
        return set.members().values().stream().collect(Collectors.toMap(m -> m.endpoint().id(),
                m -> m.endpoint().weight() + (m.vanished() ? " vanished" : ""), (a, b) -> a, java.util.LinkedHashMap::new));
    }

    @Test
    void theFirstAnswerIsThePoolAsItStarts() {
        DiscoveredSet first = DiscoveredSet.NONE.next(List.of(at("10.0.0.3"), at("10.0.0.2")));

        assertTrue(first.answered());
        assertFalse(DiscoveredSet.NONE.answered());
        assertEquals(List.of("10.0.0.2:8080", "10.0.0.3:8080"), List.copyOf(first.members().keySet()), "in id order");
        assertEquals(List.of("10.0.0.2:8080", "10.0.0.3:8080"), first.joinedSince(DiscoveredSet.NONE));
    }

    @Test
    void aNewAddressJoinsAfterTheOthersWhateverOrderTheNameServerAnswersIn() {
        DiscoveredSet before = DiscoveredSet.NONE.next(List.of(at("10.0.0.5"), at("10.0.0.9")));

        DiscoveredSet after = before.next(List.of(at("10.0.0.9"), at("10.0.0.1"), at("10.0.0.5")));

        assertEquals(List.of("10.0.0.5:8080", "10.0.0.9:8080", "10.0.0.1:8080"), List.copyOf(after.members().keySet()));
        assertEquals(List.of("10.0.0.1:8080"), after.joinedSince(before));
        assertEquals(List.of(), after.vanishedSince(before));
        assertEquals(before.next(List.of(at("10.0.0.9"), at("10.0.0.5"))), before, "an answer that changes nothing");
    }

    @Test
    void aVanishedAddressDrainsUntilItLeavesAndComesBackIfAnnouncedAgainMeanwhile() {
        DiscoveredSet two = DiscoveredSet.NONE.next(List.of(at("10.0.0.2"), at("10.0.0.3")));

        DiscoveredSet one = two.next(List.of(at("10.0.0.3")));
        assertEquals(Map.of("10.0.0.2:8080", "1 vanished", "10.0.0.3:8080", "1"), shown(one));
        assertEquals(List.of("10.0.0.2:8080"), one.vanishedSince(two));
        assertTrue(one.vanished("10.0.0.2:8080"));
        assertEquals(List.of(), one.next(List.of(at("10.0.0.3"))).vanishedSince(one), "already draining: not again");

        DiscoveredSet back = one.next(List.of(at("10.0.0.2"), at("10.0.0.3")));
        assertEquals(List.of("10.0.0.2:8080"), back.returnedSince(one));
        assertEquals(List.of(), back.joinedSince(one));
        assertFalse(back.vanished("10.0.0.2:8080"));

        DiscoveredSet left = one.without("10.0.0.2:8080");
        assertEquals(Map.of("10.0.0.3:8080", "1"), shown(left));
        assertTrue(left.answered());
        assertEquals(List.of("10.0.0.2:8080"), left.next(List.of(at("10.0.0.2"), at("10.0.0.3"))).joinedSince(left),
                "once it left, it joins anew");
    }

    @Test
    void anAnnouncedAddressTakesTheAnswersWeight() {
        DiscoveredSet before = DiscoveredSet.NONE.next(List.of(at("10.0.0.2", 10)));

        DiscoveredSet after = before.next(List.of(at("10.0.0.2", 30), at("10.0.0.2", 50)));

        assertEquals(Map.of("10.0.0.2:8080", "30"), shown(after), "the first record of an address counts");
    }

    @Test
    void anAnswerWithoutEndpointsIsNotOne() {
        DiscoveredSet set = DiscoveredSet.NONE.next(List.of(at("10.0.0.2")));

        assertThrows(IllegalArgumentException.class, () -> set.next(List.of()));
    }
}
