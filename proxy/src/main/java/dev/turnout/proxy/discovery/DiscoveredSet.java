package dev.turnout.proxy.discovery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A discovery pool's backends as its lookups left them: the endpoints the last answer announced, in the order they were
 * first seen (a name server's shuffling does not reorder the pool), and those it no longer announces, which drain until
 * nothing is in flight to them and then leave ({@link #without}). Immutable.
 *
 * @param answered whether a lookup has answered yet: the first answer's backends are the pool as it starts, while the
 *                 later ones join a pool that is serving (through slow start, or a health check)
 */
public record DiscoveredSet(Map<String, Member> members, boolean answered) {

    /** A pool before its first answer. */
    public static final DiscoveredSet NONE = new DiscoveredSet(Map.of(), false);

    /** One endpoint; {@code vanished}: the last answer no longer announced it, so it drains. */
    public record Member(Endpoint endpoint, boolean vanished) {
    }

    public DiscoveredSet {
        members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
    }

    /**
     * This set after an answer that announced {@code announced}: new endpoints join (after the others, in id order),
     * those announced again take the answer's weight and stop draining, the others drain. An answer announcing nothing
     * is not one: the caller keeps the set it has.
     */
    public DiscoveredSet next(List<Endpoint> announced) {
        if (announced.isEmpty()) {
            throw new IllegalArgumentException("an answer without endpoints keeps the last set");
        }
        Map<String, Endpoint> byId = new LinkedHashMap<>();
        announced.forEach(e -> byId.putIfAbsent(e.id(), e));
        Map<String, Member> next = new LinkedHashMap<>();
        members.forEach((id, member) -> {
            Endpoint again = byId.remove(id);
            next.put(id, again != null ? new Member(again, false) : new Member(member.endpoint(), true));
        });
        byId.values().stream().sorted(Comparator.comparing(Endpoint::id)).forEach(e -> next.put(e.id(), new Member(e, false)));
        return new DiscoveredSet(next, true);
    }

    /** This set without {@code id}: a vanished endpoint with nothing left in flight. */
    public DiscoveredSet without(String id) {
        Map<String, Member> next = new LinkedHashMap<>(members);
        next.remove(id);
        return new DiscoveredSet(next, answered);
    }

    /** The member of that id, or null. */
    public Member member(String id) {
        return members.get(id);
    }

    /** Whether {@code id} is here and its address no longer announced. */
    public boolean vanished(String id) {
        Member member = members.get(id);
        return member != null && member.vanished();
    }

    /** Ids announced now that {@code before} did not have. */
    public List<String> joinedSince(DiscoveredSet before) {
        return ids(members.values(), m -> !m.vanished() && before.member(m.endpoint().id()) == null);
    }

    /** Ids that drain now and were announced in {@code before}. */
    public List<String> vanishedSince(DiscoveredSet before) {
        return ids(members.values(), m -> m.vanished() && !before.vanished(m.endpoint().id())
                && before.member(m.endpoint().id()) != null);
    }

    /** Ids announced again that drained in {@code before}. */
    public List<String> returnedSince(DiscoveredSet before) {
        return ids(members.values(), m -> !m.vanished() && before.vanished(m.endpoint().id()));
    }

    private static List<String> ids(Collection<Member> members, Predicate<Member> which) {
        List<String> ids = new ArrayList<>();
        members.stream().filter(which).forEach(m -> ids.add(m.endpoint().id()));
        return ids;
    }
}
