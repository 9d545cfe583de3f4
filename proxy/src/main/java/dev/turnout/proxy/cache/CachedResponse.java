package dev.turnout.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A stored answer: its fields, body and {@link Freshness} never change once stored (a newer answer
 * makes a new one). Complete, its body is a plain array, which the JVM keeps
 * out of the young generation once it is large, and which a hit wraps without copying. Incomplete
 * (stored from 206 parts, RFC 9111 3.3), it holds the {@link PartialContent} received so far and
 * answers only ranges that lie within one run of it.
 *
 * <p>What every hit sends is prepared once, here: the fields of the whole answer with its
 * {@code Content-Length}, as {@link AsciiString}s that the encoder copies as bytes; and for the
 * current second, those fields with its {@code Age}, {@code X-Cache: HIT} and {@code Cache-Status},
 * remembered until the next, so that a plain hit copies one block and adds nothing.
 */
final class CachedResponse {

    private final HttpResponseStatus status;
    private final HttpHeaders headers;
    private final byte[] body;
    private final PartialContent parts;
    private final Freshness freshness;
    private final boolean sharedOk;
    private final long sequence;
    private final Set<String> tags;
    private final HttpHeaders wholeAnswerHeaders;
    // The labels of the last second a hit was served in; a benign race may compute one twice.
    private volatile AgeLabels ageLabels;

    /**
     * The labels of one age, made once per second of age, not per hit; with the whole answer's
     * fields, labelled as a plain hit, with and without {@code Cache-Status}.
     */
    private record AgeLabels(long ageSeconds, AsciiString age, AsciiString hitStatus, HttpHeaders hit,
            HttpHeaders hitWithoutStatus) {
    }

    /**
     * @param headers  the stored fields: no framing, {@code Age} or labels of ours; read only from here on
     * @param body     the whole body, or null when {@code parts} holds what there is of it
     * @param sequence the cache's store counter when it was stored, to compare with invalidations
     * @param tags     the surrogate keys it was stored with, for purges by tag
     */
    CachedResponse(int status, HttpHeaders headers, byte[] body, PartialContent parts, Freshness freshness,
            boolean sharedOk, long sequence, Set<String> tags) {
        this.status = HttpResponseStatus.valueOf(status);
        this.headers = headers;
        this.body = body;
        this.parts = parts;
        this.freshness = freshness;
        this.sharedOk = sharedOk;
        this.sequence = sequence;
        this.tags = tags;
        this.wholeAnswerHeaders = body == null ? null : prepared(headers, body.length);
    }

    /** The stored fields and the body's length, as the encoder copies them fastest. */
    private static HttpHeaders prepared(HttpHeaders stored, int length) {
        HttpHeaders prepared = new DefaultHttpHeaders();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> fields = stored.iteratorCharSequence(); fields.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = fields.next();
            prepared.add(AsciiString.of(field.getKey()), asBytes(field.getValue()));
        }
        return prepared.add(HttpHeaderNames.CONTENT_LENGTH, AsciiString.of(Integer.toString(length)));
    }

    /**
     * As bytes when it is ASCII; otherwise as it is, so that the encoder writes it as it would
     * have (it replaces what is not ASCII).
     */
    private static CharSequence asBytes(CharSequence value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) > 127) {
                return value;
            }
        }
        return AsciiString.of(value);
    }

    int status() {
        return status.code();
    }

    HttpResponseStatus responseStatus() {
        return status;
    }

    HttpHeaders headers() {
        return headers;
    }

    /** The whole body; null while incomplete. */
    byte[] body() {
        return body;
    }

    /** What is held of an incomplete answer; null once complete. */
    PartialContent parts() {
        return parts;
    }

    boolean complete() {
        return body != null;
    }

    Freshness freshness() {
        return freshness;
    }

    boolean sharedOk() {
        return sharedOk;
    }

    long sequence() {
        return sequence;
    }

    Set<String> tags() {
        return tags;
    }

    /** A copy of the whole answer's fields for one answer, which it may change; complete answers only. */
    HttpHeaders wholeAnswerHeaders() {
        return new DefaultHttpHeaders().set(wholeAnswerHeaders);
    }

    /**
     * A copy of the whole answer's fields labelled as a plain hit made now ({@code Age},
     * {@code X-Cache: HIT}, and with {@code statusHeader} {@code Cache-Status}); complete answers only.
     */
    HttpHeaders hitHeaders(long nowNanos, boolean statusHeader) {
        AgeLabels labels = labels(nowNanos);
        return new DefaultHttpHeaders().set(statusHeader ? labels.hit() : labels.hitWithoutStatus());
    }

    long ageSeconds(long nowNanos) {
        return freshness.ageSeconds(nowNanos);
    }

    boolean fresh(long nowNanos) {
        return freshness.fresh(nowNanos);
    }

    /** {@code Age} for an answer made now. */
    AsciiString age(long nowNanos) {
        return labels(nowNanos).age();
    }

    /** {@code Cache-Status} of a plain hit made now: a negative ttl says it is stale (RFC 9211 2.4). */
    AsciiString hitStatus(long nowNanos) {
        return labels(nowNanos).hitStatus();
    }

    /** {@code Cache-Status} for an answer made now, {@code status} saying how it was served. */
    String cacheStatus(String status, long nowNanos) {
        return "Turnout; " + status + "; ttl=" + (freshness.lifetimeSeconds() - ageSeconds(nowNanos));
    }

    private AgeLabels labels(long nowNanos) {
        long age = ageSeconds(nowNanos);
        AgeLabels labels = ageLabels;
        if (labels == null || labels.ageSeconds() != age) {
            AsciiString ageText = AsciiString.of(Long.toString(age));
            AsciiString hitStatus = AsciiString.of(cacheStatus("hit", nowNanos));
            HttpHeaders hitWithoutStatus = null;
            HttpHeaders hit = null;
            if (wholeAnswerHeaders != null) {
                hitWithoutStatus = wholeAnswerHeaders().add(HttpHeaderNames.AGE, ageText)
                        .add(ResponseCache.X_CACHE, ResponseCache.Result.HIT.header);
                hit = new DefaultHttpHeaders().set(hitWithoutStatus).add(ResponseCache.CACHE_STATUS, hitStatus);
            }
            labels = new AgeLabels(age, ageText, hitStatus, hit, hitWithoutStatus);
            ageLabels = labels;
        }
        return labels;
    }

    boolean hasValidator() {
        return headers.contains(HttpHeaderNames.ETAG) || headers.contains(HttpHeaderNames.LAST_MODIFIED);
    }

    /** Bytes it holds, with an estimate for its fields: stored, prepared, and this second's two labelled copies. */
    int weight() {
        long bytes = body != null ? body.length : parts.size();
        return (int) (bytes + headers.size() * 192L + 256);
    }
}
