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
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
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
    private static final Set<Integer> UNDERSTOOD_STATUS = Set.of(200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 304,
            305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417,
            421, 422, 426, 500, 501, 502, 503, 504, 505);
    /** Fields a 304 never replaces in the stored answer (RFC 9111 3.2): framing, hop-by-hop, our own. */
    private static final Set<AsciiString> NOT_UPDATED_BY_304 = Set.of(HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.TE,
            HttpHeaderNames.UPGRADE, HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION,
            HttpHeaderNames.AGE, X_CACHE, CACHE_STATUS);
    private static final Set<HttpMethod> SAFE_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.TRACE);
    private static final List<AsciiString> CLIENT_CONDITIONS = List.of(HttpHeaderNames.IF_NONE_MATCH,
            HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_UNMODIFIED_SINCE,
            HttpHeaderNames.IF_RANGE, HttpHeaderNames.RANGE);

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
            HttpHeaders headers = new DefaultHttpHeaders().set(stale.headers());
            for (String name : notModified.headers().names()) {
                if (!NOT_UPDATED_BY_304.contains(AsciiString.of(name).toLowerCase())) {
                    headers.set(name, notModified.headers().getAll(name));
                }
            }
            Directives d = Directives.of(headers);
            long now = nanoClock.getAsLong();
            Set<String> tags = headers.contains(SURROGATE_KEY) || headers.contains(CACHE_TAG) ? takeTags(headers)
                    : stale.tags();
            CachedResponse renewed = new CachedResponse(stale.status(), headers, stale.body(), now, 0,
                    d.freshnessSeconds(stale.status(), headers, config.heuristicMax().toSeconds()), d.cc().staleIfError(),
                    d.cc().staleWhileRevalidate(), stale.sharedOk(),
                    d.forbidsStale(), storeSequence.incrementAndGet(), tags);
            answers.put(variantKey, renewed);
            return StoredAnswers.answer(renewed, clientRequest(), now, Result.HIT, "fwd=stale; fwd-status=304",
                    config.statusHeader());
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
            String target = target(resource);
            long sequence = storeSequence.get();
            invalidatedAt.put(target, sequence);
            String host = target.substring(0, target.indexOf('\n'));
            for (AsciiString field : List.of(HttpHeaderNames.LOCATION, HttpHeaderNames.CONTENT_LOCATION)) {
                String path = sameHostPath(response.headers().get(field), host);
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
            return stale != null && stale.usableOnError(now)
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

        /** Starts copying a backend's answer for storage, or returns null if it must not be stored. */
        public Fill fill(HttpResponse response) {
            Fill fill = storable(response);
            // Only the answer's own verdict marks the resource, not a request that forbade storing.
            // Read before writing: most answers of a dynamic resource find the mark already there.
            boolean marked = passThrough.getIfPresent(resource) != null;
            if (fill == null && mayStore && !marked) {
                passThrough.put(resource, Boolean.TRUE);
            } else if (fill != null && marked) {
                passThrough.invalidate(resource);
            }
            if (fill == null) {
                land(); // nothing will be stored: the requests waiting on this fetch go on their own
            }
            stored = fill != null;
            return fill;
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
            long initialAge = ageSeconds(h);
            // no-cache: stored only to be revalidated on every use, which needs a validator (RFC 9111 5.2.2.4).
            boolean revalidatedEachTime = cc.noCache()
                    && (h.contains(HttpHeaderNames.ETAG) || h.contains(HttpHeaderNames.LAST_MODIFIED));
            if (!storableStatus(response.status().code(), cc) || cc.noStore() || cc.isPrivate()
                    || (cc.noCache() && !revalidatedEachTime)
                    || (h.contains(HttpHeaderNames.SET_COOKIE) && !explicitlyShared) || varyNames(h).contains("*")
                    || (request.headers().contains(HttpHeaderNames.AUTHORIZATION) && !sharedOk)
                    || HttpUtil.getContentLength(response, 0L) > config.maxObjectSize() || initialAge < 0) {
                return null;
            }
            long lifetime = d.freshnessSeconds(response.status().code(), h, config.heuristicMax().toSeconds());
            if (lifetime <= 0 && !revalidatedEachTime) {
                return null;
            }
            return new Fill(this, response, lifetime, sharedOk, d, initialAge);
        }
    }

    /** A backend answer being copied as it streams by; stored once it ends, dropped if too large. */
    public final class Fill {

        private final Lookup lookup;
        private final int status;
        private final HttpHeaders headers;
        private final long lifetimeSeconds;
        private final boolean sharedOk;
        private final Directives directives;
        private final long initialAge;
        private final Set<String> tags;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        private Fill(Lookup lookup, HttpResponse response, long lifetimeSeconds, boolean sharedOk, Directives directives,
                long initialAge) {
            this.directives = directives;
            this.lookup = lookup;
            this.status = response.status().code();
            this.headers = new DefaultHttpHeaders().set(response.headers());
            this.headers.remove(HttpHeaderNames.AGE).remove(X_CACHE).remove(CACHE_STATUS)
                    .remove(HttpHeaderNames.TRANSFER_ENCODING).remove(HttpHeaderNames.CONNECTION);
            this.lifetimeSeconds = lifetimeSeconds;
            this.sharedOk = sharedOk;
            this.initialAge = initialAge;
            this.tags = takeTags(headers);
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
            List<String> vary = varyNames(headers);
            varyByResource.put(lookup.resource, vary);
            HttpHeaders stored = headers;
            stored.remove(HttpHeaderNames.CONTENT_LENGTH);
            answers.put(lookup.resource + variant(vary, lookup.request.headers()),
                    new CachedResponse(status, stored, body.toByteArray(), nanoClock.getAsLong(), initialAge, lifetimeSeconds,
                            directives.cc().staleIfError(), directives.cc().staleWhileRevalidate(), sharedOk,
                            directives.forbidsStale(), storeSequence.incrementAndGet(), tags));
            lookup.land();
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
        String resource = pool + '\n' + (host == null ? "" : host.toLowerCase(Locale.ROOT)) + '\n' + request.uri();
        if (!(method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) || hasBody) {
            Lookup bypass = forwarded(new Lookup(Result.BYPASS, resource, request, false, null, null, null), "method");
            bypass.invalidatesTarget = !SAFE_METHODS.contains(method);
            return bypass;
        }
        CacheControl cc = CacheControl.parse(h.getAll(HttpHeaderNames.CACHE_CONTROL));
        if (cc.noStore()) {
            return forwarded(new Lookup(Result.BYPASS, resource, request, false, null, null, null), "request");
        }
        boolean mayStore = method.equals(HttpMethod.GET);
        // The client asks for a fresh answer from the origin; it may still be stored.
        if (cc.noCache() || cc.maxAge() == 0 || h.contains(HttpHeaderNames.PRAGMA, "no-cache", true)) {
            return forwarded(new Lookup(Result.MISS, resource, request, mayStore, null, null, null), "request");
        }
        List<String> vary = varyByResource.getIfPresent(resource);
        String variantKey = vary == null ? null : resource + variant(vary, h);
        CachedResponse stored = variantKey == null ? null : answers.getIfPresent(variantKey);
        if (stored != null && invalidatedAt.estimatedSize() > 0) {
            Long changedAt = invalidatedAt.getIfPresent(target(resource));
            if (changedAt != null && stored.sequence() <= changedAt) {
                answers.asMap().remove(variantKey, stored);
                stored = null;
            }
        }
        if (stored == null || (h.contains(HttpHeaderNames.AUTHORIZATION) && !stored.sharedOk())) {
            Lookup miss = forwarded(new Lookup(Result.MISS, resource, request, mayStore, null, null, null),
                    vary != null && !vary.isEmpty() && stored == null ? "vary-miss" : "uri-miss");
            if (coalesce && mayStore && !h.contains(HttpHeaderNames.AUTHORIZATION)
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
        if (!stored.fresh(now)) {
            if (stored.usableWhileRevalidating(now)) {
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
            "request", forwardStatuses("request"), "method", forwardStatuses("method"));

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
            String target = key.split("\n", 4)[2];
            if (target.startsWith(pathPrefix)) {
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

    /** The tags an answer names, removed from its stored fields. */
    private static Set<String> takeTags(HttpHeaders headers) {
        Set<String> tags = new HashSet<>();
        for (String line : headers.getAll(SURROGATE_KEY)) {
            tags.addAll(Arrays.asList(line.trim().split("\\s+")));
        }
        for (String line : headers.getAll(CACHE_TAG)) {
            for (String tag : line.split(",")) {
                tags.add(tag.trim());
            }
        }
        tags.remove("");
        headers.remove(SURROGATE_KEY).remove(CACHE_TAG);
        return Set.copyOf(tags);
    }

    /** Bytes held now (bodies and a header estimate); for tests and, later, metrics. */
    public long weight() {
        answers.cleanUp();
        return answers.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    /** The path of a URI reference that names {@code host} or no host; null for another host. */
    private static String sameHostPath(String reference, String host) {
        if (reference == null || reference.isEmpty()) {
            return null;
        }
        if (reference.startsWith("/") && !reference.startsWith("//")) {
            return reference;
        }
        int scheme = reference.indexOf("://");
        if (scheme < 0) {
            return null;
        }
        int pathStart = reference.indexOf('/', scheme + 3);
        String authority = reference.substring(scheme + 3, pathStart < 0 ? reference.length() : pathStart);
        return authority.equalsIgnoreCase(host) ? (pathStart < 0 ? "/" : reference.substring(pathStart)) : null;
    }

    /** The host and request target of a resource key (which starts with the pool). */
    private static String target(String resource) {
        return resource.substring(resource.indexOf('\n') + 1);
    }

    /**
     * A final status this cache may store given explicit freshness (RFC 9111 3): not 206 (parts
     * are not combined here) or 304, and one it understands when the answer says must-understand.
     */
    private static boolean storableStatus(int code, CacheControl cc) {
        return code >= 200 && code <= 599 && code != 206 && code != 304
                && (!cc.mustUnderstand() || UNDERSTOOD_STATUS.contains(code));
    }

    /** The response's Age (RFC 9111 5.1): 0 when absent, -1 when it is not one non-negative integer. */
    private static long ageSeconds(HttpHeaders response) {
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

    private static List<String> varyNames(HttpHeaders response) {
        List<String> names = new ArrayList<>();
        for (String value : response.getAll(HttpHeaderNames.VARY)) {
            for (String name : value.split(",")) {
                String trimmed = name.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.isEmpty()) {
                    names.add(trimmed);
                }
            }
        }
        names.sort(null);
        return List.copyOf(names);
    }

    /**
     * The part of the key that a request's selecting headers make (RFC 9111 4.1): per name the
     * values of all its lines, split at commas and trimmed; an absent header differs from an empty one.
     */
    private static String variant(List<String> vary, HttpHeaders request) {
        if (vary.isEmpty()) {
            return "";
        }
        StringBuilder key = new StringBuilder();
        for (String name : vary) {
            key.append('\n').append(name);
            List<String> lines = request.getAll(name);
            if (lines.isEmpty()) {
                continue;
            }
            key.append('=');
            String separator = "";
            for (String line : lines) {
                for (String value : line.split(",", -1)) {
                    key.append(separator).append(value.trim());
                    separator = ",";
                }
            }
        }
        return key.toString();
    }
}
