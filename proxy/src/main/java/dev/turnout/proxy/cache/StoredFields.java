package dev.turnout.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a stored answer keeps of the fields it arrived with: the fields a newer answer replaces
 * (RFC 9111 3.2), the tags it is purged by, and its {@code Age} (5.1).
 */
final class StoredFields {

    /**
     * Fields a newer answer (a 304, or a 206 of the same representation) never replaces in the stored
     * one (RFC 9111 3.2, 3.4): framing, the part's range, hop-by-hop, our own.
     */
    private static final Set<AsciiString> NOT_UPDATED = Set.of(HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.CONTENT_RANGE, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.TE, HttpHeaderNames.UPGRADE, HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.AGE, ResponseCache.X_CACHE, ResponseCache.CACHE_STATUS);

    private StoredFields() {
    }

    /** A copy of {@code stored} in which each field of {@code newer} replaces the lines of that name (RFC 9111 3.2). */
    static HttpHeaders updated(HttpHeaders stored, HttpHeaders newer) {
        HttpHeaders headers = new DefaultHttpHeaders().set(stored);
        for (String name : newer.names()) {
            if (!NOT_UPDATED.contains(AsciiString.of(name).toLowerCase())) {
                headers.set(name, newer.getAll(name));
            }
        }
        return headers;
    }

    /** The tags an answer names, removed from its stored fields. */
    static Set<String> takeTags(HttpHeaders headers) {
        Set<String> tags = new HashSet<>();
        for (String line : headers.getAll(ResponseCache.SURROGATE_KEY)) {
            tags.addAll(Arrays.asList(line.trim().split("\\s+")));
        }
        for (String line : headers.getAll(ResponseCache.CACHE_TAG)) {
            for (String tag : line.split(",")) {
                tags.add(tag.trim());
            }
        }
        tags.remove("");
        headers.remove(ResponseCache.SURROGATE_KEY).remove(ResponseCache.CACHE_TAG);
        return Set.copyOf(tags);
    }

    /** The response's Age (RFC 9111 5.1): 0 when absent, -1 when it is not one non-negative integer. */
    static long ageSeconds(HttpHeaders response) {
        List<String> ages = response.getAll(HttpHeaderNames.AGE);
        if (ages.isEmpty()) {
            return 0;
        }
        String age = ages.get(0).trim();
        if (ages.size() > 1 || age.isEmpty() || age.length() > 18 || !age.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Long.parseLong(age);
    }
}
