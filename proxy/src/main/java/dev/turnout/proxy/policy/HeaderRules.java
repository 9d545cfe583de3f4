package dev.turnout.proxy.policy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Header rules for one direction of a route: headers removed, then set (replacing every line of that
 * name), then added (beside the lines already there), in that order. Immutable; names are made once.
 */
public final class HeaderRules {

    public static final HeaderRules NONE = new HeaderRules(Map.of(), Map.of(), List.of());
    /** Framing and connection headers: Turnout writes these itself, and a rule could desynchronise a connection. */
    private static final Set<String> OWNED = Set.of("content-length", "transfer-encoding", "connection", "keep-alive",
            "upgrade", "te", "trailer", "proxy-connection");

    private final Map<String, String> set;
    private final Map<String, String> add;
    private final List<String> remove;
    private final AsciiString[] setNames;
    private final String[] setValues;
    private final AsciiString[] addNames;
    private final String[] addValues;
    private final AsciiString[] removeNames;

    /** Each name and value checked first by {@link #nameProblem} and {@link #valueProblem}. */
    public HeaderRules(Map<String, String> set, Map<String, String> add, List<String> remove) {
        this.set = Collections.unmodifiableMap(new LinkedHashMap<>(set));
        this.add = Collections.unmodifiableMap(new LinkedHashMap<>(add));
        this.remove = List.copyOf(remove);
        set.forEach(HeaderRules::requireValid);
        add.forEach(HeaderRules::requireValid);
        remove.forEach(name -> requireValid(name, ""));
        this.setNames = names(set.keySet());
        this.setValues = set.values().toArray(String[]::new);
        this.addNames = names(add.keySet());
        this.addValues = add.values().toArray(String[]::new);
        this.removeNames = names(remove);
    }

    private static AsciiString[] names(Iterable<String> names) {
        List<AsciiString> list = new ArrayList<>();
        names.forEach(name -> list.add(AsciiString.cached(name.toLowerCase(Locale.ROOT))));
        return list.toArray(AsciiString[]::new);
    }

    private static void requireValid(String name, String value) {
        String problem = nameProblem(name) != null ? nameProblem(name) : valueProblem(value);
        if (problem != null) {
            throw new IllegalArgumentException(name + ": " + problem);
        }
    }

    /** What is wrong with a header name in a rule, or null. */
    public static String nameProblem(String name) {
        if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            return "a header name (letters, digits and !#$%&'*+.^_`|~-)";
        }
        if (OWNED.contains(name.toLowerCase(Locale.ROOT))) {
            return "a header other than " + String.join(", ", OWNED.stream().sorted().toList())
                    + ", which Turnout writes itself";
        }
        return null;
    }

    /** What is wrong with a header value in a rule, or null: it must be printable, without surrounding spaces. */
    public static String valueProblem(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < ' ' && c != '\t') || c == 0x7f || c > 0xff) {
                return "a header value without control characters";
            }
        }
        if (!value.equals(value.strip())) {
            return "a header value without leading or trailing spaces";
        }
        return null;
    }

    public boolean isEmpty() {
        return set.isEmpty() && add.isEmpty() && remove.isEmpty();
    }

    /** Applies the rules to {@code headers}, in place. */
    public void apply(HttpHeaders headers) {
        for (AsciiString name : removeNames) {
            headers.remove(name);
        }
        for (int i = 0; i < setNames.length; i++) {
            headers.set(setNames[i], setValues[i]);
        }
        for (int i = 0; i < addNames.length; i++) {
            headers.add(addNames[i], addValues[i]);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HeaderRules r && r.set.equals(set) && r.add.equals(add) && r.remove.equals(remove);
    }

    @Override
    public int hashCode() {
        return (set.hashCode() * 31 + add.hashCode()) * 31 + remove.hashCode();
    }

    /** For the status page: {@code remove Server; set Strict-Transport-Security: max-age=31536000}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        if (!remove.isEmpty()) {
            parts.add("remove " + String.join(", ", remove));
        }
        set.forEach((name, value) -> parts.add("set " + name + ": " + value));
        add.forEach((name, value) -> parts.add("add " + name + ": " + value));
        return String.join("; ", parts);
    }
}
