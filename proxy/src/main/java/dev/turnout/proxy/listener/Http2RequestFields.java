package dev.turnout.proxy.listener;

import dev.turnout.proxy.http.TextFields;
import io.netty.handler.codec.CharSequenceValueConverter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An HTTP/2 request's header fields as the exchange reads and edits them, over the decoded
 * {@link Http2Headers} themselves: nothing is copied into HTTP/1.1 objects. Lookups ignore case, as
 * HTTP/1.1's do (HTTP/2 names are lower case); the pseudo-header fields are hidden, and while the
 * request has no {@code Host} field, its {@code :authority} stands for one (RFC 9113 8.3.1), so a
 * backend spoken to over HTTP/1.1 gets it as {@code Host}. Edits go into the fields themselves.
 */
final class Http2RequestFields extends TextFields {

    private static final AsciiString HOST = HttpHeaderNames.HOST;

    private final Http2Headers fields;

    /** Joins split {@code cookie} fields into one, as an HTTP/1.1 backend must get them (RFC 9113 8.2.3). */
    Http2RequestFields(Http2Headers fields) {
        this.fields = fields;
        List<CharSequence> cookies = fields.getAll(HttpHeaderNames.COOKIE);
        if (cookies.size() > 1) {
            fields.set(HttpHeaderNames.COOKIE, String.join("; ", cookies));
        }
    }

    /** The name as HTTP/2 spells it: lower case (a name already so is used as it is). */
    private static CharSequence key(CharSequence name) {
        if (name instanceof AsciiString ascii) {
            return ascii.toLowerCase();
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return AsciiString.of(name).toLowerCase();
            }
        }
        return name;
    }

    private static CharSequence value(Object value) {
        return value instanceof CharSequence text ? text : CharSequenceValueConverter.INSTANCE.convertObject(value);
    }

    /** The {@code :authority} standing for a {@code Host} field the request lacks, or null. */
    private CharSequence authorityAsHost() {
        return fields.contains(HOST) ? null : fields.authority();
    }

    private CharSequence find(CharSequence name) {
        CharSequence k = key(name);
        if (k.length() > 0 && k.charAt(0) == ':') {
            return null;
        }
        CharSequence found = fields.get(k);
        return found == null && HOST.contentEquals(k) ? fields.authority() : found;
    }

    @Override
    public String get(CharSequence name) {
        CharSequence found = find(name);
        return found == null ? null : found.toString();
    }

    @Override
    public List<String> getAll(CharSequence name) {
        CharSequence k = key(name);
        List<String> all = new ArrayList<>(2);
        if (k.length() > 0 && k.charAt(0) == ':') {
            return all;
        }
        for (CharSequence found : fields.getAll(k)) {
            all.add(found.toString());
        }
        if (all.isEmpty() && HOST.contentEquals(k) && fields.authority() != null) {
            all.add(fields.authority().toString());
        }
        return all;
    }

    /** The values of {@code name} in place, without a list (the framing checks ask for each request). */
    @Override
    public Iterator<? extends CharSequence> valueCharSequenceIterator(CharSequence name) {
        CharSequence k = key(name);
        if (k.length() > 0 && k.charAt(0) == ':') {
            return Collections.emptyIterator();
        }
        Iterator<CharSequence> values = fields.valueIterator(k);
        if (!values.hasNext() && HOST.contentEquals(k) && fields.authority() != null) {
            return List.of(fields.authority()).iterator();
        }
        return values;
    }

    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        Iterator<? extends CharSequence> values = valueCharSequenceIterator(name);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return values.hasNext();
            }

            @Override
            public String next() {
                return values.next().toString();
            }
        };
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        List<Map.Entry<String, String>> all = new ArrayList<>(size());
        for (Map.Entry<String, String> entry : this) {
            all.add(entry);
        }
        return all;
    }

    @Override
    public boolean contains(String name) {
        return find(name) != null;
    }

    @Override
    public boolean contains(CharSequence name) {
        return find(name) != null;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        Iterator<Map.Entry<CharSequence, CharSequence>> fieldsIterator = iteratorCharSequence();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return fieldsIterator.hasNext();
            }

            @Override
            public Map.Entry<String, String> next() {
                Map.Entry<CharSequence, CharSequence> next = fieldsIterator.next();
                return new AbstractMap.SimpleImmutableEntry<>(next.getKey().toString(), next.getValue().toString());
            }
        };
    }

    /** The request's fields without the pseudo-header fields, led by the {@code Host} its authority stands for. */
    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        CharSequence authority = authorityAsHost();
        Iterator<Map.Entry<CharSequence, CharSequence>> all = fields.iterator();
        return new Iterator<>() {
            private Map.Entry<CharSequence, CharSequence> next = authority == null ? null
                    : new AbstractMap.SimpleImmutableEntry<>(HOST, authority);

            @Override
            public boolean hasNext() {
                while (next == null && all.hasNext()) {
                    Map.Entry<CharSequence, CharSequence> candidate = all.next();
                    CharSequence name = candidate.getKey();
                    if (name.length() == 0 || name.charAt(0) != ':') {
                        next = candidate;
                    }
                }
                return next != null;
            }

            @Override
            public Map.Entry<CharSequence, CharSequence> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Map.Entry<CharSequence, CharSequence> taken = next;
                next = null;
                return taken;
            }
        };
    }

    @Override
    public boolean isEmpty() {
        return size() == 0;
    }

    @Override
    public int size() {
        int pseudo = 0;
        for (Map.Entry<CharSequence, CharSequence> field : fields) {
            CharSequence name = field.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                pseudo++;
            }
        }
        return fields.size() - pseudo + (authorityAsHost() == null ? 0 : 1);
    }

    @Override
    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        Iterator<Map.Entry<CharSequence, CharSequence>> all = iteratorCharSequence();
        while (all.hasNext()) {
            names.add(all.next().getKey().toString());
        }
        return names;
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        fields.add(key(name), value(value));
        return this;
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        CharSequence k = key(name);
        for (Object value : values) {
            fields.add(k, value(value));
        }
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        fields.addInt(key(name), value);
        return this;
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        fields.addShort(key(name), value);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        fields.set(key(name), value(value));
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        CharSequence k = key(name);
        fields.remove(k);
        for (Object value : values) {
            fields.add(k, value(value));
        }
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        fields.setInt(key(name), value);
        return this;
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        fields.setShort(key(name), value);
        return this;
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }

    /** Removing {@code Host} removes the authority that stands for it too. */
    @Override
    public HttpHeaders remove(CharSequence name) {
        CharSequence k = key(name);
        if (k.length() > 0 && k.charAt(0) == ':') {
            return this;
        }
        fields.remove(k);
        if (HOST.contentEquals(k)) {
            fields.remove(Http2Headers.PseudoHeaderName.AUTHORITY.value());
        }
        return this;
    }

    /** Clears the fields; the pseudo-header fields stay, hidden as ever, but the authority goes with Host. */
    @Override
    public HttpHeaders clear() {
        List<CharSequence> names = new ArrayList<>();
        for (Map.Entry<CharSequence, CharSequence> field : fields) {
            names.add(field.getKey());
        }
        for (CharSequence name : names) {
            if (name.length() == 0 || name.charAt(0) != ':') {
                fields.remove(name);
            }
        }
        fields.remove(Http2Headers.PseudoHeaderName.AUTHORITY.value());
        return this;
    }

    @Override
    public HttpHeaders copy() {
        HttpHeaders copy = new DefaultHttpHeaders();
        Iterator<Map.Entry<CharSequence, CharSequence>> all = iteratorCharSequence();
        while (all.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = all.next();
            copy.add(field.getKey(), field.getValue());
        }
        return copy;
    }
}
