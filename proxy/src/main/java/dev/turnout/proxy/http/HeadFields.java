package dev.turnout.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The header fields of a decoded HTTP/1.1 head, read in place: the head's bytes and, per field, four
 * offsets into them ({@link HeadSyntax} records them while it checks the head). Nothing is made per
 * field: a value becomes a {@code String} only when asked for, and the proxy's edits (hop-by-hop
 * fields removed, {@code X-Forwarded-*} added) lie over the parsed fields, so that {@link #writeTo}
 * copies the untouched ones byte for byte.
 *
 * <p>Field names compare case-insensitively, and the order of fields is kept: an added field goes
 * last, a set one replaces the first of its name in place. One thread at a time, as every message.
 */
public final class HeadFields extends TextFields {

    /** Ints per field in a span array: name start, name end, value start, value end. */
    public static final int SPAN = 4;
    private static final int FROM_CODE = -1;
    private static final int REMOVED = -2;
    private static final byte[] COLON_SPACE = {':', ' '};
    private static final byte[] CRLF = {'\r', '\n'};
    /** Where {@link #writeTo} assembles a field section, one per thread; it grows to the largest section written. */
    private static final FastThreadLocal<byte[]> SECTION = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[2048];
        }
    };

    private final byte[] head;
    private int[] spans;
    // A field set by code: its name and value. A parsed field: its value once read, or unfolded.
    private CharSequence[] names;
    private CharSequence[] values;
    private int count;
    private int size;
    // A bit per (length, first letter) of the names held, or once held: most lookups are for a field the
    // head does not have, and this answers them without walking the fields.
    private long nameClasses;

    /**
     * @param head   the head's bytes, which this object now owns
     * @param spans  {@link #SPAN} offsets per field into {@code head}, which this object now owns
     * @param fields how many fields {@code spans} holds
     * @param folded whether a field was folded over lines (obs-fold): its value is then unfolded here
     */
    public HeadFields(byte[] head, int[] spans, int fields, boolean folded) {
        this.head = head;
        this.spans = spans;
        this.count = fields;
        this.size = fields;
        for (int i = 0; i < fields; i++) {
            int start = spans[i * SPAN];
            nameClasses |= nameClass(spans[i * SPAN + 1] - start, head[start]);
        }
        if (folded) {
            for (int i = 0; i < fields; i++) {
                unfold(i);
            }
        }
    }

    /** Empty fields, for a head built by code. */
    public HeadFields() {
        this(null, new int[SPAN * 8], 0, false);
    }

    private void unfold(int field) {
        int at = field * SPAN;
        int start = spans[at + 2];
        int end = spans[at + 3];
        for (int i = start; i < end; i++) {
            if (head[i] == '\r' || head[i] == '\n') {
                // RFC 9112 5.2: each obs-fold (OWS CRLF RWS) becomes a single space.
                StringBuilder unfolded = new StringBuilder(end - start);
                int j = start;
                while (j < end) {
                    byte b = head[j];
                    if (b == '\r' || b == '\n') {
                        int kept = unfolded.length();
                        while (kept > 0 && (unfolded.charAt(kept - 1) == ' ' || unfolded.charAt(kept - 1) == '\t')) {
                            kept--;
                        }
                        unfolded.setLength(kept);
                        while (j < end && (head[j] == '\r' || head[j] == '\n' || head[j] == ' ' || head[j] == '\t')) {
                            j++;
                        }
                        if (kept > 0) {
                            unfolded.append(' '); // none before a value that began on a folded line
                        }
                    } else {
                        unfolded.append((char) (b & 0xff));
                        j++;
                    }
                }
                values()[field] = unfolded.toString();
                return;
            }
        }
    }

    private CharSequence[] values() {
        if (values == null) {
            values = new CharSequence[spans.length / SPAN];
        }
        return values;
    }

    // ---- reading ----------------------------------------------------------------------------------

    private boolean live(int field) {
        return spans[field * SPAN] != REMOVED;
    }

    private boolean parsed(int field) {
        return spans[field * SPAN] >= 0;
    }

    private boolean nameIs(int field, CharSequence name) {
        int at = field * SPAN;
        int start = spans[at];
        if (start == REMOVED) {
            return false;
        }
        if (start == FROM_CODE) {
            return AsciiString.contentEqualsIgnoreCase(names[field], name);
        }
        int length = spans[at + 1] - start;
        if (length != name.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (!sameLetter(head[start + i], name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** ASCII letters compare without case; no other byte does. */
    private static boolean sameLetter(byte b, char c) {
        if (b == c) {
            return true;
        }
        int lower = b | 0x20;
        return lower == (c | 0x20) && lower >= 'a' && lower <= 'z';
    }

    /** A name's bit in {@link #nameClasses}: names that are equal without case share it. */
    private static long nameClass(int length, int first) {
        return 1L << ((length * 7 + (first | 0x20)) & 63);
    }

    private static long nameClass(CharSequence name) {
        return name.isEmpty() ? 1L : nameClass(name.length(), name.charAt(0));
    }

    private int find(CharSequence name, int from) {
        if ((nameClasses & nameClass(name)) == 0) {
            return -1;
        }
        for (int i = from; i < count; i++) {
            if (nameIs(i, name)) {
                return i;
            }
        }
        return -1;
    }

    private String value(int field) {
        CharSequence known = values == null ? null : values[field];
        if (known != null) {
            return known.toString();
        }
        int at = field * SPAN;
        String read = new String(head, spans[at + 2], spans[at + 3] - spans[at + 2], StandardCharsets.ISO_8859_1);
        values()[field] = read; // read once: the proxy asks for some fields more than once
        return read;
    }

    private CharSequence valueSequence(int field) {
        CharSequence known = values == null ? null : values[field];
        if (known != null) {
            return known;
        }
        int at = field * SPAN;
        return new AsciiString(head, spans[at + 2], spans[at + 3] - spans[at + 2], false);
    }

    private CharSequence nameSequence(int field) {
        if (!parsed(field)) {
            return names[field];
        }
        int at = field * SPAN;
        return new AsciiString(head, spans[at], spans[at + 1] - spans[at], false);
    }

    @Override
    public String get(CharSequence name) {
        int field = find(name, 0);
        return field < 0 ? null : value(field);
    }

    /**
     * The value of the one field named {@code name} as a decimal of 1 to 18 digits; -1 when there is no
     * such field, more than one, or a value that is anything else (a list, a sign, a space). Reads the
     * bytes in place: no string is made.
     */
    public long onlyDecimal(CharSequence name) {
        int field = find(name, 0);
        if (field < 0 || find(name, field + 1) >= 0) {
            return -1;
        }
        CharSequence known = values == null ? null : values[field];
        int length = known != null ? known.length() : spans[field * SPAN + 3] - spans[field * SPAN + 2];
        if (length == 0 || length > 18) {
            return -1;
        }
        int start = spans[field * SPAN + 2];
        long decimal = 0;
        for (int i = 0; i < length; i++) {
            int c = known != null ? known.charAt(i) : head[start + i];
            if (c < '0' || c > '9') {
                return -1;
            }
            decimal = decimal * 10 + (c - '0');
        }
        return decimal;
    }

    @Override
    public List<String> getAll(CharSequence name) {
        int field = find(name, 0);
        if (field < 0) {
            return Collections.emptyList();
        }
        List<String> all = new ArrayList<>(2);
        for (; field >= 0; field = find(name, field + 1)) {
            all.add(value(field));
        }
        return all;
    }

    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        return getAll(name).iterator();
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        List<Map.Entry<String, String>> entries = new ArrayList<>(size);
        for (Map.Entry<String, String> entry : this) {
            entries.add(entry);
        }
        return entries;
    }

    @Override
    public boolean contains(String name) {
        return find(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name) {
        return find(name, 0) >= 0;
    }

    @Override
    public boolean contains(String name, String value, boolean ignoreCase) {
        return contains((CharSequence) name, value, ignoreCase);
    }

    /** Whether a field of that name has exactly that value. */
    @Override
    public boolean contains(CharSequence name, CharSequence value, boolean ignoreCase) {
        for (int field = find(name, 0); field >= 0; field = find(name, field + 1)) {
            CharSequence known = values == null ? null : values[field];
            if (known != null ? equal(known, value, ignoreCase) : rawEquals(field, value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    private static boolean equal(CharSequence a, CharSequence b, boolean ignoreCase) {
        return ignoreCase ? AsciiString.contentEqualsIgnoreCase(a, b) : AsciiString.contentEquals(a, b);
    }

    private boolean rawEquals(int field, CharSequence value, boolean ignoreCase) {
        int at = field * SPAN;
        return rawRangeEquals(spans[at + 2], spans[at + 3], value, ignoreCase);
    }

    private boolean rawRangeEquals(int start, int end, CharSequence value, boolean ignoreCase) {
        if (end - start != value.length()) {
            return false;
        }
        for (int i = start; i < end; i++) {
            byte b = head[i];
            byte c = (byte) value.charAt(i - start);
            if (b != c && !(ignoreCase && sameLetter(b, (char) (c & 0xff)))) {
                return false;
            }
        }
        return true;
    }

    /** Whether a field of that name lists that value among its comma-separated elements. */
    @Override
    public boolean containsValue(CharSequence name, CharSequence value, boolean ignoreCase) {
        for (int field = find(name, 0); field >= 0; field = find(name, field + 1)) {
            CharSequence known = values == null ? null : values[field];
            if (known != null) {
                if (listContains(known, value, ignoreCase)) {
                    return true;
                }
                continue;
            }
            int at = field * SPAN;
            int end = spans[at + 3];
            int start = spans[at + 2];
            while (start <= end) {
                int comma = start;
                while (comma < end && head[comma] != ',') {
                    comma++;
                }
                int from = start;
                int to = comma;
                while (from < to && (head[from] == ' ' || head[from] == '\t')) {
                    from++;
                }
                while (to > from && (head[to - 1] == ' ' || head[to - 1] == '\t')) {
                    to--;
                }
                if (rawRangeEquals(from, to, value, ignoreCase)) {
                    return true;
                }
                start = comma + 1;
            }
        }
        return false;
    }

    private static boolean listContains(CharSequence list, CharSequence value, boolean ignoreCase) {
        int start = 0;
        int end = list.length();
        while (start <= end) {
            int comma = start;
            while (comma < end && list.charAt(comma) != ',') {
                comma++;
            }
            CharSequence element = AsciiString.trim(list.subSequence(start, comma));
            if (equal(element, value, ignoreCase)) {
                return true;
            }
            start = comma + 1;
        }
        return false;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < count; i++) {
            if (live(i)) {
                names.add(nameSequence(i).toString());
            }
        }
        return names;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return new Fields<>() {
            @Override
            Map.Entry<String, String> entry(int field) {
                return new SimpleImmutableEntry<>(nameSequence(field).toString(), value(field));
            }
        };
    }

    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return new Fields<>() {
            @Override
            Map.Entry<CharSequence, CharSequence> entry(int field) {
                return new SimpleImmutableEntry<>(nameSequence(field), valueSequence(field));
            }
        };
    }

    /** The live fields in order; an iterator made before an edit sees the fields as they were when it reaches them. */
    private abstract class Fields<E> implements Iterator<E> {
        private int next = advance(0);

        private int advance(int from) {
            int i = from;
            while (i < count && !live(i)) {
                i++;
            }
            return i;
        }

        abstract E entry(int field);

        @Override
        public boolean hasNext() {
            return next < count;
        }

        @Override
        public E next() {
            if (next >= count) {
                throw new NoSuchElementException();
            }
            E entry = entry(next);
            next = advance(next + 1);
            return entry;
        }
    }

    // ---- editing ----------------------------------------------------------------------------------

    private static CharSequence text(Object value) {
        if (value instanceof CharSequence sequence) {
            return sequence;
        }
        if (value instanceof Date date) {
            return DateFormatter.format(date);
        }
        return String.valueOf(value);
    }

    private void append(CharSequence name, CharSequence value) {
        if ((count + 1) * SPAN > spans.length) {
            spans = Arrays.copyOf(spans, spans.length * 2);
        }
        int capacity = spans.length / SPAN;
        if (names == null) {
            names = new CharSequence[capacity];
        } else if (names.length < capacity) {
            names = Arrays.copyOf(names, capacity);
        }
        if (values().length < capacity) {
            values = Arrays.copyOf(values, capacity);
        }
        spans[count * SPAN] = FROM_CODE;
        names[count] = name;
        values[count] = value;
        nameClasses |= nameClass(name);
        count++;
        size++;
    }

    private void removeField(int field) {
        spans[field * SPAN] = REMOVED;
        if (names != null) {
            names[field] = null;
        }
        if (values != null) {
            values[field] = null;
        }
        size--;
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        append(name, text(value));
        return this;
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        return add((CharSequence) name, values);
    }

    @Override
    public HttpHeaders add(CharSequence name, Iterable<?> values) {
        for (Object value : values) {
            append(name, text(value));
        }
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        append(name, Integer.toString(value));
        return this;
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        append(name, Short.toString(value));
        return this;
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    /** Replaces the first field of that name in place (its position kept) and removes the others. */
    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        CharSequence text = text(value);
        int first = find(name, 0);
        if (first < 0) {
            append(name, text);
            return this;
        }
        for (int field = find(name, first + 1); field >= 0; field = find(name, field + 1)) {
            removeField(field);
        }
        if (names == null) {
            names = new CharSequence[spans.length / SPAN];
        }
        spans[first * SPAN] = FROM_CODE;
        names[first] = name;
        values()[first] = text;
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        return set((CharSequence) name, values);
    }

    @Override
    public HttpHeaders set(CharSequence name, Iterable<?> values) {
        remove(name);
        return add(name, values);
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        return set(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        return set(name, Short.toString(value));
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        for (int field = find(name, 0); field >= 0; field = find(name, field + 1)) {
            removeField(field);
        }
        return this;
    }

    @Override
    public HttpHeaders clear() {
        for (int i = 0; i < count; i++) {
            spans[i * SPAN] = REMOVED;
        }
        names = null;
        values = null;
        size = 0;
        return this;
    }

    // ---- writing ----------------------------------------------------------------------------------

    /** Room enough, mostly, for these fields written with a start line. */
    public int encodedSizeHint() {
        return (head == null ? 0 : head.length) + 256;
    }

    /**
     * Writes the fields as an HTTP/1.1 field section without its final empty line: parsed fields byte
     * for byte, the rest as Latin-1 (as they were read).
     */
    public void writeTo(ByteBuf out) {
        // Assembled in this thread's array, then written at once: a write per name, separator, value and
        // line end would each check the buffer's room and liveness and copy a few bytes.
        byte[] section = SECTION.get();
        int length = 0;
        for (int i = 0; i < count; i++) {
            int at = i * SPAN;
            int start = spans[at];
            if (start == REMOVED) {
                continue;
            }
            CharSequence known = values == null ? null : values[i];
            int nameLength = start >= 0 ? spans[at + 1] - start : names[i].length();
            int valueLength = known != null ? known.length() : spans[at + 3] - spans[at + 2];
            int needed = length + nameLength + valueLength + 4;
            if (needed > section.length) {
                section = Arrays.copyOf(section, Math.max(needed, section.length * 2));
                SECTION.set(section);
            }
            if (start >= 0) {
                System.arraycopy(head, start, section, length, nameLength);
                length += nameLength;
            } else {
                length = putAscii(names[i], section, length);
            }
            section[length++] = ':';
            section[length++] = ' ';
            if (known != null) {
                length = putAscii(known, section, length);
            } else {
                System.arraycopy(head, spans[at + 2], section, length, valueLength);
                length += valueLength;
            }
            section[length++] = '\r';
            section[length++] = '\n';
        }
        out.writeBytes(section, 0, length);
    }

    /** Copies {@code text} as {@link ByteBufUtil#writeAscii} would write it (a char past Latin-1 as '?'). */
    private static int putAscii(CharSequence text, byte[] to, int at) {
        if (text instanceof AsciiString ascii) {
            System.arraycopy(ascii.array(), ascii.arrayOffset(), to, at, ascii.length());
            return at + ascii.length();
        }
        for (int i = 0; i < text.length(); i++) {
            to[at++] = AsciiString.c2b(text.charAt(i));
        }
        return at;
    }

    /** Writes any fields as {@link #writeTo} does: these in place, others through their iterator. */
    public static void write(HttpHeaders fields, ByteBuf out) {
        if (fields instanceof HeadFields own) {
            own.writeTo(out);
            return;
        }
        Iterator<Map.Entry<CharSequence, CharSequence>> all = fields.iteratorCharSequence();
        while (all.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = all.next();
            ByteBufUtil.writeAscii(out, field.getKey());
            out.writeBytes(COLON_SPACE);
            ByteBufUtil.writeAscii(out, field.getValue());
            out.writeBytes(CRLF);
        }
    }
}
