package dev.turnout.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.turnout.proxy.config.CacheConfig;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A shared HTTP cache (RFC 9111) in front of the backends, bounded by bytes with Caffeine.
 *
 * <p>Keys hold the pool, so during a split a canary's answers are never served to requests routed
 * to the stable pool, then the host and the request target; an answer with {@code Vary} is kept
 * per value of the headers it names. Only explicitly fresh answers are stored
 * ({@code s-maxage}, {@code max-age} or {@code Expires}), never {@code no-store},
 * {@code private}, {@code no-cache}, {@code Vary: *} or answers that set cookies. Answers larger
 * than {@code max-object-size} stream through uncached. A stale entry with validators is
 * revalidated with a conditional request; one within its {@code stale-while-revalidate} window is
 * served at once while one background request refreshes it, and one within its
 * {@code stale-if-error} window stands in when the backend fails. A successful unsafe request
 * (POST, PUT, DELETE...) invalidates what is stored for its target in every pool.
 *
 * <p>A 206 is stored as a part of an incomplete answer (RFC 9111 3.3); parts of one representation
 * (the same strong validator) are combined, and once they make the whole it is stored complete
 * (3.4). A 304 or 206 of a stored representation updates its fields (3.2, 4.3.4).
 *
 * <p>Thread-safe: lookups and stores come from every event loop; Caffeine does the locking.
 */
public final class ResponseCache {

    /** How a request was served, for the {@code X-Cache} header. */
    public enum Result {
        HIT, MISS, STALE, BYPASS;

        final AsciiString header = AsciiString.cached(name());
    }

    static final AsciiString X_CACHE = AsciiString.cached("x-cache");
    static final AsciiString CACHE_STATUS = AsciiString.cached("cache-status");
    /** RFC 9213: a field aimed at this cache alone, obeyed over the other two. */
    static final AsciiString TURNOUT_CACHE_CONTROL = AsciiString.cached("turnout-cache-control");
    static final AsciiString CDN_CACHE_CONTROL = AsciiString.cached("cdn-cache-control");
    /** Tags for purging (Fastly's space-separated Surrogate-Key, Cloudflare's comma-separated Cache-Tag). */
    static final AsciiString SURROGATE_KEY = AsciiString.cached("surrogate-key");
    static final AsciiString CACHE_TAG = AsciiString.cached("cache-tag");
    private static final Duration PASS_THROUGH = Duration.ofSeconds(30);
    /** The final statuses RFC 9110 defines, for must-understand (RFC 9111 5.2.2.3). */
    private static final Set<Integer> UNDERSTOOD_STATUS = Set.of(200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304,
            305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417,
            421, 422, 426, 500, 501, 502, 503, 504, 505);
    private static final Set<HttpMethod> SAFE_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.TRACE);
    private static final List<AsciiString> CLIENT_CONDITIONS = List.of(HttpHeaderNames.IF_NONE_MATCH,
            HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_UNMODIFIED_SINCE,
            HttpHeaderNames.IF_RANGE, HttpHeaderNames.RANGE);
    /** A stored answer of 206 parts is an incomplete 200 (RFC 9111 3.3), and once whole a 200. */
    private static final int INCOMPLETE_STATUS = 200;

    // Replaced by a reload (sizes, Cache-Status); each use reads it once.
    private volatile CacheConfig config;
    private final LongSupplier nanoClock;
    private final Cache<String, CachedResponse> answers;
    // The header names each resource varies on, to build the full key of a request.
    private final Cache<String, List<String>> varyByResource;
    // Misses being fetched right now, so concurrent misses for one key make one backend request.
    private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
    // Resources whose last answer could not be stored ("hit for pass", as nginx says): their
    // misses go straight to the backend for a while instead of queueing behind one another.
    private final Cache<String, Boolean> passThrough;
    // Entries being refreshed in the background while their stale copy is served.
    private final Set<String> refreshing = ConcurrentHashMap.newKeySet();
    // Targets (host and URI) changed by an unsafe request, with the store sequence at that moment:
    // entries stored up to then, for every pool and variant, are invalid (RFC 9111 4.4).
    private final Cache<String, Long> invalidatedAt;
    private final AtomicLong storeSequence = new AtomicLong();

    /**
     * One backend fetch that concurrent misses for the same key wait on. It lands when its answer
     * is stored, or as soon as its head shows that it will not be (so that requests for dynamic
     * answers wait at most one time-to-first-byte), or when its exchange ends anyhow.
     */
    public final class Flight {

        private final String key;
        private final CompletableFuture<Void> landed = new CompletableFuture<>();

        private Flight(String key) {
            this.key = key;
        }

        /** Runs {@code then} once the flight lands (at once if it has); it may run on another thread. */
        public void whenLanded(Runnable then) {
            landed.thenRun(then);
        }

        void land() {
            flights.remove(key, this);
            landed.complete(null);
        }
    }

    public ResponseCache(CacheConfig config, LongSupplier nanoClock) {
        this.config = config;
        this.nanoClock = nanoClock;
        this.answers = Caffeine.newBuilder()
                .maximumWeight(config.maxSize())
                .weigher((String key, CachedResponse answer) -> answer.weight() + key.length())
                .build();
        this.varyByResource = Caffeine.newBuilder().maximumSize(100_000).build();
        this.passThrough = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(PASS_THROUGH)
                .ticker(nanoClock::getAsLong).build();
        this.invalidatedAt = Caffeine.newBuilder().maximumSize(100_000).build();
    }

    /**
     * Takes a reload's settings: {@code max-size} bounds the cache at once (Caffeine evicts down to it),
     * {@code max-object-size} and {@code status-header} apply to the answers stored and served from now on.
     */
    public void follow(CacheConfig next) {
        if (next.equals(config)) {
            return;
        }
        if (next.maxSize() != config.maxSize()) {
            answers.policy().eviction().ifPresent(eviction -> eviction.setMaximum(next.maxSize()));
        }
        config = next;
    }

    /** The cache's decision for one request, made when its head arrives. */
    public final class Lookup {

        private final Result result;
        private final String resource;
        private final HttpRequest request;
        private final boolean mayStore;
        private final FullHttpResponse hit;
        private final CachedResponse stale;
        private final String variantKey;
        // Why the request goes to the backend, for Cache-Status's fwd parameter (RFC 9211 2.2).
        private String forwardedBecause = "miss";
        private boolean stored;
        private boolean revalidating;
        private boolean refreshInBackground;
        private boolean endsRefresh;
        private boolean invalidatesTarget;
        private Flight leading;
        private Flight following;

        private Lookup(Result result, String resource, HttpRequest request, boolean mayStore, FullHttpResponse hit,
                CachedResponse stale, String variantKey) {
            this.result = result;
            this.resource = resource;
            this.request = request;
            this.mayStore = mayStore;
            this.hit = hit;
            this.stale = stale;
            this.variantKey = variantKey;
        }

        /**
         * Before the request goes to the backend: if a stale entry has validators and the client
         * sent no conditions of its own, asks the backend whether it still holds (RFC 9111 4.3.1).
         */
        public void addValidators() {
            HttpHeaders h = request.headers();
            if (stale == null || !stale.hasValidator() || h.contains(HttpHeaderNames.IF_NONE_MATCH)
                    || h.contains(HttpHeaderNames.IF_MODIFIED_SINCE)) {
                return;
            }
            String etag = stale.headers().get(HttpHeaderNames.ETAG);
            if (etag != null) {
                h.set(HttpHeaderNames.IF_NONE_MATCH, etag);
            } else {
                h.set(HttpHeaderNames.IF_MODIFIED_SINCE, stale.headers().get(HttpHeaderNames.LAST_MODIFIED));
            }
            revalidating = true;
        }

        /** Whether {@code response} confirms the stale entry we asked about. */
        public boolean confirms(HttpResponse response) {
            return revalidating && response.status().code() == 304;
        }

        /**
         * The backend said the stale entry still holds: refresh it with the 304's metadata and
         * return the answer for the client (RFC 9111 4.3.4).
         */
        public FullHttpResponse refreshed(HttpResponse notModified) {
            CachedResponse renewed = updated(stale, notModified.headers());
            answers.put(variantKey, renewed);
            return StoredAnswers.answer(renewed, clientRequest(), renewed.freshness().storedAtNanos(), Result.HIT,
                    "fwd=stale; fwd-status=304", config.statusHeader());
        }

        /**
         * For a stale answer served at once: the lookup of a background request that refreshes it,
         * or null when another one already does. Its {@link #land()} ends the refresh.
         */
        public Lookup backgroundRefresh() {
            if (!refreshInBackground) {
                return null;
            }
            refreshInBackground = false;
            HttpHeaders headers = new DefaultHttpHeaders().set(request.headers());
            for (AsciiString conditional : CLIENT_CONDITIONS) {
                headers.remove(conditional);
            }
            HttpRequest copy = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, request.uri(), headers);
            Lookup refresh = new Lookup(Result.MISS, resource, copy, true, null, stale, variantKey);
            refresh.endsRefresh = true;
            return refresh;
        }

        /** The request this lookup was made for (for a background refresh, its own copy). */
        public HttpRequest request() {
            return request;
        }

        /**
         * The backend answered an unsafe request: a success invalidates what is cached for its
         * target, and for the {@code Location} and {@code Content-Location} it names on the same
         * host (RFC 9111 4.4).
         */
        public void answered(HttpResponse response) {
            int code = response.status().code();
            if (!invalidatesTarget || code < 200 || code >= 400) {
                return;
            }
            String target = CacheKeys.target(resource);
            long sequence = storeSequence.get();
            invalidatedAt.put(target, sequence);
            String host = target.substring(0, target.indexOf('\n'));
            for (AsciiString field : List.of(HttpHeaderNames.LOCATION, HttpHeaderNames.CONTENT_LOCATION)) {
                String path = CacheKeys.sameHostPath(response.headers().get(field), host);
                if (path != null) {
                    invalidatedAt.put(host + '\n' + path, sequence);
                }
            }
        }

        /** The request as the client sent it: without the validators added for revalidation. */
        private HttpRequest clientRequest() {
            if (revalidating) {
                request.headers().remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE);
                revalidating = false;
            }
            return request;
        }

        /** The stale entry, if it may stand in for a failing backend, labelled STALE; else null. */
        public FullHttpResponse staleOnError() {
            long now = nanoClock.getAsLong();
            return stale != null && stale.freshness().usableOnError(now)
                    ? StoredAnswers.answer(stale, clientRequest(), now, Result.STALE, "fwd=stale",
                    config.statusHeader()) : null;
        }

        public Result result() {
            return result;
        }

        /** When another request is already fetching this answer: the flight to wait for, else null. */
        public Flight following() {
            return following;
        }

        /** Ends this request's part in coalescing or refreshing: a flight it leads lands. Safe to call twice. */
        public void land() {
            if (leading != null) {
                leading.land();
                leading = null;
            }
            if (endsRefresh) {
                endsRefresh = false;
                refreshing.remove(variantKey);
            }
        }

        /** The answer to send for a hit; the caller owns it. */
        public FullHttpResponse hit() {
            return hit;
        }

        /** Marks an answer from the backend on its way to the client with how it was served. */
        public void label(HttpResponse response) {
            // Tags are for this cache's purges, not for the client (as Fastly and Cloudflare do).
            response.headers().remove(SURROGATE_KEY).remove(CACHE_TAG).set(X_CACHE, result.header);
            if (config.statusHeader()) {
                response.headers().set(CACHE_STATUS, forwardStatus(forwardedBecause, stored));
            }
        }

        /**
         * Starts copying a backend's answer for storage, or returns null if it must not be stored.
         * A 304 that selects the stored answer (RFC 9111 4.3.4) updates its fields instead.
         */
        public Fill fill(HttpResponse response) {
            int code = response.status().code();
            if (code == 304) {
                updateSelected(response.headers());
                land();
                return null;
            }
            Fill fill = storable(response);
            // Only the answer's own verdict marks the resource, not a request that forbade storing,
            // nor a part, which speaks for its range. Read before writing: most answers of a dynamic
            // resource find the mark already there.
            if (code != 206) {
                boolean marked = passThrough.getIfPresent(resource) != null;
                if (fill == null && mayStore && !marked) {
                    passThrough.put(resource, Boolean.TRUE);
                } else if (fill != null && marked) {
                    passThrough.invalidate(resource);
                }
            }
            if (fill == null) {
                land(); // nothing will be stored: the requests waiting on this fetch go on their own
            }
            stored = fill != null;
            return fill;
        }

        /**
         * The origin's 304 to the client's own conditional request updates the stored answer of this
         * request's variant when it selects it (RFC 9111 4.3.4); a request that may not store updates nothing.
         */
        private void updateSelected(HttpHeaders notModified) {
            List<String> vary = varyByResource.getIfPresent(resource);
            if (!mayStore || vary == null) {
                return;
            }
            String key = CacheKeys.variant(resource, vary, request.headers());
            CachedResponse current = answers.getIfPresent(key);
            if (current != null && Validators.selects(notModified, current.headers())) {
                answers.asMap().replace(key, current, updated(current, notModified));
            }
        }

        private Fill storable(HttpResponse response) {
            if (!mayStore) {
                return null;
            }
            HttpHeaders h = response.headers();
            Directives d = Directives.of(h);
            CacheControl cc = d.cc();
            boolean explicitlyShared = cc.isPublic() || cc.sMaxAge() >= 0;
            boolean sharedOk = explicitlyShared || cc.mustRevalidate();
            long initialAge = StoredFields.ageSeconds(h);
            // no-cache: stored only to be revalidated on every use, which needs a validator (RFC 9111 5.2.2.4).
            boolean revalidatedEachTime = cc.noCache()
                    && (h.contains(HttpHeaderNames.ETAG) || h.contains(HttpHeaderNames.LAST_MODIFIED));
            int code = response.status().code();
            long[] part = code == 206 ? storablePart(h) : null;
            if (!storableStatus(code, cc) || (code == 206 && part == null) || cc.noStore() || cc.isPrivate()
                    || (cc.noCache() && !revalidatedEachTime)
                    || (h.contains(HttpHeaderNames.SET_COOKIE) && !explicitlyShared)
                    || CacheKeys.varyNames(h).contains("*")
                    || (request.headers().contains(HttpHeaderNames.AUTHORIZATION) && !sharedOk)
                    || HttpUtil.getContentLength(response, 0L) > config.maxObjectSize() || initialAge < 0) {
                return null;
            }
            long lifetime = d.freshnessSeconds(part != null ? INCOMPLETE_STATUS : code, h, config.heuristicMax().toSeconds());
            if (lifetime <= 0 && !revalidatedEachTime) {
                return null;
            }
            return new Fill(this, response, part, sharedOk, d, initialAge);
        }

        /**
         * A 206 that may be stored as a part (RFC 9111 3.3): one range of a representation of a
         * known length no larger than {@code max-object-size}, with a strong validator to combine by.
         */
        private long[] storablePart(HttpHeaders h) {
            long[] range = h.getAll(HttpHeaderNames.CONTENT_RANGE).size() == 1
                    ? ByteRanges.contentRange(h.get(HttpHeaderNames.CONTENT_RANGE)) : null;
            return range != null && range[2] <= config.maxObjectSize() && Validators.strong(h) != null ? range : null;
        }
    }

    /**
     * A stored answer with the fields of a newer answer for the same representation (RFC 9111 3.2),
     * fresh again from now; its content stays as it is.
     */
    private CachedResponse updated(CachedResponse stored, HttpHeaders newer) {
        return updated(stored, newer, Set.of(), 0, stored.sharedOk(), stored.body(), stored.parts());
    }

    /** As {@link #updated(CachedResponse, HttpHeaders)}, with content and what the newer answer says of itself. */
    private CachedResponse updated(CachedResponse stored, HttpHeaders newer, Set<String> newerTags, long initialAge,
            boolean sharedOk, byte[] body, PartialContent parts) {
        HttpHeaders headers = StoredFields.updated(stored.headers(), newer);
        Set<String> tags = headers.contains(SURROGATE_KEY) || headers.contains(CACHE_TAG) ? StoredFields.takeTags(headers)
                : newerTags.isEmpty() ? stored.tags() : newerTags;
        Directives d = Directives.of(headers);
        long lifetime = d.freshnessSeconds(stored.status(), headers, config.heuristicMax().toSeconds());
        return new CachedResponse(stored.status(), headers, body, parts,
                Freshness.of(d, lifetime, nanoClock.getAsLong(), initialAge), sharedOk, storeSequence.incrementAndGet(), tags);
    }

    /** A backend answer being copied as it streams by; stored once it ends, dropped if too large. */
    public final class Fill {

        private final Lookup lookup;
        private final int status;
        private final HttpHeaders headers;
        // A 206's {first, last, complete length}; null for a whole answer.
        private final long[] part;
        private final boolean sharedOk;
        private final Directives directives;
        private final long initialAge;
        private final Set<String> tags;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        private Fill(Lookup lookup, HttpResponse response, long[] part, boolean sharedOk, Directives directives,
                long initialAge) {
            this.directives = directives;
            this.lookup = lookup;
            this.status = part != null ? INCOMPLETE_STATUS : response.status().code();
            this.headers = new DefaultHttpHeaders().set(response.headers());
            this.headers.remove(HttpHeaderNames.AGE).remove(X_CACHE).remove(CACHE_STATUS)
                    .remove(HttpHeaderNames.TRANSFER_ENCODING).remove(HttpHeaderNames.CONNECTION)
                    .remove(HttpHeaderNames.CONTENT_RANGE);
            this.part = part;
            this.sharedOk = sharedOk;
            this.initialAge = initialAge;
            this.tags = StoredFields.takeTags(headers);
        }

        /**
         * Copies a piece of the body (without consuming it: it is still forwarded).
         *
         * @return false once the answer is over {@code max-object-size}: stop filling
         */
        public boolean append(ByteBuf content) {
            int n = content.readableBytes();
            if (body.size() + (long) n > config.maxObjectSize()) {
                return false;
            }
            byte[] piece = new byte[n];
            content.getBytes(content.readerIndex(), piece);
            body.writeBytes(piece);
            return true;
        }

        /** The whole answer arrived: store it under the request's variant key. */
        public void store() {
            List<String> vary = CacheKeys.varyNames(headers);
            byte[] bytes = body.toByteArray();
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            if (part == null || bytes.length == part[1] - part[0] + 1) {
                varyByResource.put(lookup.resource, vary);
                String key = CacheKeys.variant(lookup.resource, vary, lookup.request.headers());
                if (part == null) {
                    answers.put(key, stored(bytes, null));
                } else {
                    answers.asMap().compute(key, (k, old) -> combined(old, bytes));
                }
            }
            lookup.land();
        }

        private CachedResponse stored(byte[] whole, PartialContent parts) {
            long lifetime = directives.freshnessSeconds(status, headers, config.heuristicMax().toSeconds());
            return new CachedResponse(status, headers, whole, parts, Freshness.of(directives, lifetime, nanoClock.getAsLong(),
                    initialAge), sharedOk, storeSequence.incrementAndGet(), tags);
        }

        /**
         * This part with what is stored of the same representation (a 200 with the same strong validator
         * and length, RFC 9111 3.4): a complete answer takes its fields, parts take its bytes too and
         * become complete once they make the whole. Of another representation, the part replaces it.
         */
        private CachedResponse combined(CachedResponse old, byte[] bytes) {
            long length = part[2];
            boolean same = old != null && old.status() == INCOMPLETE_STATUS
                    && Validators.strong(headers).equals(Validators.strong(old.headers()))
                    && (old.complete() ? old.body().length : old.parts().length()) == length;
            if (!same) {
                PartialContent parts = PartialContent.of(length, part[0], bytes);
                return parts.complete() ? stored(bytes, null) : stored(null, parts);
            }
            if (old.complete()) {
                return updated(old, headers, tags, initialAge, sharedOk, old.body(), null);
            }
            PartialContent parts = old.parts().with(part[0], bytes);
            return parts.complete() ? updated(old, headers, tags, initialAge, sharedOk, parts.runs().get(0).bytes(), null)
                    : updated(old, headers, tags, initialAge, sharedOk, null, parts);
        }
    }

    /**
     * Decides how a request is served.
     *
     * @param hasBody requests with bodies bypass the cache
     */
    public Lookup lookup(String pool, String host, HttpRequest request, boolean hasBody) {
        return lookup(pool, host, request, hasBody, true);
    }

    /**
     * As {@link #lookup(String, String, HttpRequest, boolean)}; with {@code coalesce} false a miss
     * neither leads nor follows a flight (for a request that already waited on one).
     */
    public Lookup lookup(String pool, String host, HttpRequest request, boolean hasBody, boolean coalesce) {
        HttpMethod method = request.method();
        HttpHeaders h = request.headers();
        String resource = CacheKeys.resource(pool, host, request.uri());
        if (!(method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) || hasBody) {
            Lookup bypass = forwarded(new Lookup(Result.BYPASS, resource, request, false, null, null, null), "method");
            bypass.invalidatesTarget = !SAFE_METHODS.contains(method);
            return bypass;
        }
        CacheControl cc = h.contains(HttpHeaderNames.CACHE_CONTROL)
                ? CacheControl.parse(h.getAll(HttpHeaderNames.CACHE_CONTROL)) : CacheControl.NONE;
        if (cc.noStore()) {
            return forwarded(new Lookup(Result.BYPASS, resource, request, false, null, null, null), "request");
        }
        boolean mayStore = method.equals(HttpMethod.GET);
        // The client asks for a fresh answer from the origin; it may still be stored.
        if (cc.noCache() || cc.maxAge() == 0 || h.contains(HttpHeaderNames.PRAGMA, "no-cache", true)) {
            return forwarded(new Lookup(Result.MISS, resource, request, mayStore, null, null, null), "request");
        }
        List<String> vary = varyByResource.getIfPresent(resource);
        String variantKey = vary == null ? null : CacheKeys.variant(resource, vary, h);
        CachedResponse stored = variantKey == null ? null : answers.getIfPresent(variantKey);
        if (stored != null && invalidatedAt.estimatedSize() > 0) {
            Long changedAt = invalidatedAt.getIfPresent(CacheKeys.target(resource));
            if (changedAt != null && stored.sequence() <= changedAt) {
                answers.asMap().remove(variantKey, stored);
                stored = null;
            }
        }
        if (stored == null || (h.contains(HttpHeaderNames.AUTHORIZATION) && !stored.sharedOk())) {
            Lookup miss = forwarded(new Lookup(Result.MISS, resource, request, mayStore, null, null, null),
                    vary != null && !vary.isEmpty() && stored == null ? "vary-miss" : "uri-miss");
            // A range is a part of the answer: concurrent requests for the whole do not wait for it.
            if (coalesce && mayStore && !h.contains(HttpHeaderNames.AUTHORIZATION) && !h.contains(HttpHeaderNames.RANGE)
                    && passThrough.getIfPresent(resource) == null) {
                String key = variantKey != null ? variantKey : resource;
                Flight mine = new Flight(key);
                Flight existing = flights.putIfAbsent(key, mine);
                if (existing == null) {
                    miss.leading = mine;
                } else {
                    miss.following = existing;
                }
            }
            return miss;
        }
        long now = nanoClock.getAsLong();
        if (!stored.complete()) {
            // Parts answer only ranges they hold (RFC 9111 3.3); the rest goes to the origin, whose answer may complete them.
            return stored.fresh(now) && StoredAnswers.answersFromParts(stored, request)
                    ? new Lookup(Result.HIT, resource, request, false,
                            StoredAnswers.answer(stored, request, now, Result.HIT, "hit", config.statusHeader()), null, null)
                    : forwarded(new Lookup(Result.MISS, resource, request, mayStore, null, null, variantKey), "partial");
        }
        if (!stored.fresh(now)) {
            if (stored.freshness().usableWhileRevalidating(now)) {
                Lookup stale = new Lookup(Result.STALE, resource, request, false,
                        StoredAnswers.answer(stored, request, now, Result.STALE, "hit", config.statusHeader()), stored,
                        variantKey);
                stale.refreshInBackground = refreshing.add(variantKey);
                return stale;
            }
            return forwarded(new Lookup(Result.MISS, resource, request, mayStore, null, stored, variantKey), "stale");
        }
        // A request that waited on another's fetch and is answered from what it stored was collapsed.
        return new Lookup(Result.HIT, resource, request, false,
                StoredAnswers.answer(stored, request, now, Result.HIT, coalesce ? "hit" : "hit; collapsed",
                        config.statusHeader()), null, null);
    }

    /** Cache-Status values of forwarded requests, made once: they go out on every miss. */
    private static final Map<String, AsciiString[]> FORWARD_STATUS = Map.of(
            "miss", forwardStatuses("miss"), "uri-miss", forwardStatuses("uri-miss"),
            "vary-miss", forwardStatuses("vary-miss"), "stale", forwardStatuses("stale"),
            "partial", forwardStatuses("partial"), "request", forwardStatuses("request"), "method", forwardStatuses("method"));

    private static AsciiString[] forwardStatuses(String because) {
        return new AsciiString[] {AsciiString.cached("Turnout; fwd=" + because),
            AsciiString.cached("Turnout; fwd=" + because + "; stored")};
    }

    private static AsciiString forwardStatus(String because, boolean stored) {
        return FORWARD_STATUS.get(because)[stored ? 1 : 0];
    }

    private static Lookup forwarded(Lookup lookup, String because) {
        lookup.forwardedBecause = because;
        return lookup;
    }

    /** Drops every stored answer whose request target starts with {@code pathPrefix}; "" drops all. */
    public int purge(String pathPrefix) {
        List<String> doomed = new ArrayList<>();
        for (String key : answers.asMap().keySet()) {
            if (CacheKeys.requestTarget(key).startsWith(pathPrefix)) {
                doomed.add(key);
            }
        }
        answers.invalidateAll(doomed);
        return doomed.size();
    }

    /** Drops every stored answer tagged with any of {@code tags}. */
    public int purgeTags(Set<String> tags) {
        List<String> doomed = new ArrayList<>();
        answers.asMap().forEach((key, stored) -> {
            if (stored.tags().stream().anyMatch(tags::contains)) {
                doomed.add(key);
            }
        });
        answers.invalidateAll(doomed);
        return doomed.size();
    }

    /** Bytes held now (bodies and a header estimate); for tests and, later, metrics. */
    public long weight() {
        answers.cleanUp();
        return answers.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    /**
     * A final status this cache may store given explicit freshness (RFC 9111 3): not 304, and one
     * it understands when the answer says must-understand. A 206 is stored as a part.
     */
    private static boolean storableStatus(int code, CacheControl cc) {
        return code >= 200 && code <= 599 && code != 304 && (!cc.mustUnderstand() || UNDERSTOOD_STATUS.contains(code));
    }
}
