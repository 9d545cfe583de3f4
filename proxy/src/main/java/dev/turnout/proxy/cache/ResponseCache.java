package dev.turnout.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.turnout.proxy.config.CacheConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
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
    private static final Duration PASS_THROUGH = Duration.ofSeconds(30);
    private static final Set<Integer> CACHEABLE_STATUS = Set.of(200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501);
    private static final Set<HttpMethod> SAFE_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.TRACE);
    private static final List<AsciiString> CLIENT_CONDITIONS = List.of(HttpHeaderNames.IF_NONE_MATCH,
            HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_UNMODIFIED_SINCE,
            HttpHeaderNames.IF_RANGE, HttpHeaderNames.RANGE);
    private static final Set<AsciiString> NOT_MODIFIED_HEADERS = Set.of(HttpHeaderNames.CACHE_CONTROL,
            HttpHeaderNames.CONTENT_LOCATION, HttpHeaderNames.DATE, HttpHeaderNames.ETAG, HttpHeaderNames.EXPIRES,
            HttpHeaderNames.VARY);

    private final CacheConfig config;
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

    /** The cache's decision for one request, made when its head arrives. */
    public final class Lookup {

        private final Result result;
        private final String resource;
        private final HttpRequest request;
        private final boolean mayStore;
        private final FullHttpResponse hit;
        private final CachedResponse stale;
        private final String variantKey;
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
            for (AsciiString name : NOT_MODIFIED_HEADERS) {
                List<String> values = notModified.headers().getAll(name);
                if (!values.isEmpty()) {
                    headers.set(name, values);
                }
            }
            CacheControl cc = CacheControl.parse(headers.getAll(HttpHeaderNames.CACHE_CONTROL));
            long now = nanoClock.getAsLong();
            CachedResponse renewed = new CachedResponse(stale.status(), headers, stale.body(), now, 0,
                    lifetimeSeconds(cc, headers), cc.staleIfError(), cc.staleWhileRevalidate(), stale.sharedOk(),
                    cc.mustRevalidate(), storeSequence.incrementAndGet());
            answers.put(variantKey, renewed);
            return answer(renewed, clientRequest(), now, Result.HIT);
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

        /** The backend answered an unsafe request: a success invalidates what is cached for its target. */
        public void answered(HttpResponse response) {
            int code = response.status().code();
            if (invalidatesTarget && code >= 200 && code < 400) {
                invalidatedAt.put(target(resource), storeSequence.get());
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
            return stale != null && stale.usableOnError(now) ? answer(stale, clientRequest(), now, Result.STALE) : null;
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

        /** Marks an answer on its way to the client with how it was served. */
        public void label(HttpResponse response) {
            response.headers().set(X_CACHE, result.header);
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
            return fill;
        }

        private Fill storable(HttpResponse response) {
            if (!mayStore) {
                return null;
            }
            HttpHeaders h = response.headers();
            CacheControl cc = CacheControl.parse(h.getAll(HttpHeaderNames.CACHE_CONTROL));
            boolean sharedOk = cc.isPublic() || cc.sMaxAge() >= 0 || cc.mustRevalidate();
            if (!CACHEABLE_STATUS.contains(response.status().code()) || cc.noStore() || cc.isPrivate() || cc.noCache()
                    || h.contains(HttpHeaderNames.SET_COOKIE) || h.contains(HttpHeaderNames.VARY, "*", true)
                    || (request.headers().contains(HttpHeaderNames.AUTHORIZATION) && !sharedOk)
                    || HttpUtil.getContentLength(response, 0L) > config.maxObjectSize()) {
                return null;
            }
            long lifetime = lifetimeSeconds(cc, h);
            if (lifetime <= 0) {
                return null;
            }
            return new Fill(this, response, lifetime, sharedOk, cc);
        }
    }

    /** A backend answer being copied as it streams by; stored once it ends, dropped if too large. */
    public final class Fill {

        private final Lookup lookup;
        private final int status;
        private final HttpHeaders headers;
        private final long lifetimeSeconds;
        private final boolean sharedOk;
        private final CacheControl cc;
        private final long initialAge;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        private Fill(Lookup lookup, HttpResponse response, long lifetimeSeconds, boolean sharedOk, CacheControl cc) {
            this.cc = cc;
            this.lookup = lookup;
            this.status = response.status().code();
            this.headers = new DefaultHttpHeaders().set(response.headers());
            this.headers.remove(HttpHeaderNames.AGE).remove(X_CACHE).remove(HttpHeaderNames.TRANSFER_ENCODING)
                    .remove(HttpHeaderNames.CONNECTION);
            this.lifetimeSeconds = lifetimeSeconds;
            this.sharedOk = sharedOk;
            long age;
            try {
                age = Math.max(0, Long.parseLong(response.headers().get(HttpHeaderNames.AGE, "0").trim()));
            } catch (NumberFormatException e) {
                age = 0;
            }
            this.initialAge = age;
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
                            cc.staleIfError(), cc.staleWhileRevalidate(), sharedOk, cc.mustRevalidate(),
                            storeSequence.incrementAndGet()));
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
            Lookup bypass = new Lookup(Result.BYPASS, resource, request, false, null, null, null);
            bypass.invalidatesTarget = !SAFE_METHODS.contains(method);
            return bypass;
        }
        CacheControl cc = CacheControl.parse(h.getAll(HttpHeaderNames.CACHE_CONTROL));
        if (cc.noStore()) {
            return new Lookup(Result.BYPASS, resource, request, false, null, null, null);
        }
        boolean mayStore = method.equals(HttpMethod.GET);
        // The client asks for a fresh answer from the origin; it may still be stored.
        if (cc.noCache() || cc.maxAge() == 0 || h.contains(HttpHeaderNames.PRAGMA, "no-cache", true)) {
            return new Lookup(Result.MISS, resource, request, mayStore, null, null, null);
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
            Lookup miss = new Lookup(Result.MISS, resource, request, mayStore, null, null, null);
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
                Lookup stale = new Lookup(Result.STALE, resource, request, false, answer(stored, request, now, Result.STALE),
                        stored, variantKey);
                stale.refreshInBackground = refreshing.add(variantKey);
                return stale;
            }
            return new Lookup(Result.MISS, resource, request, mayStore, null, stored, variantKey);
        }
        return new Lookup(Result.HIT, resource, request, false, answer(stored, request, now, Result.HIT), null, null);
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

    /** Bytes held now (bodies and a header estimate); for tests and, later, metrics. */
    public long weight() {
        answers.cleanUp();
        return answers.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    /** The host and request target of a resource key (which starts with the pool). */
    private static String target(String resource) {
        return resource.substring(resource.indexOf('\n') + 1);
    }

    private FullHttpResponse answer(CachedResponse stored, HttpRequest request, long now, Result result) {
        HttpHeaders requestHeaders = request.headers();
        if (notModified(stored, requestHeaders)) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
            for (AsciiString name : NOT_MODIFIED_HEADERS) {
                List<String> values = stored.headers().getAll(name);
                if (!values.isEmpty()) {
                    response.headers().set(name, values);
                }
            }
            response.headers().set(HttpHeaderNames.AGE, String.valueOf(stored.ageSeconds(now))).set(X_CACHE, result.header);
            return response;
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(stored.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(stored.body()));
        response.headers().set(stored.headers())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, stored.body().length)
                .set(HttpHeaderNames.AGE, String.valueOf(stored.ageSeconds(now)))
                .set(X_CACHE, result.header);
        return response;
    }

    /** A client's own conditional request, answered from a fresh entry (RFC 9110 13.1.1, 13.1.3). */
    private static boolean notModified(CachedResponse stored, HttpHeaders request) {
        String etag = stored.headers().get(HttpHeaderNames.ETAG);
        String ifNoneMatch = request.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            if (etag == null) {
                return false;
            }
            for (String candidate : ifNoneMatch.split(",")) {
                String tag = candidate.trim();
                if (tag.equals("*") || weak(tag).equals(weak(etag))) {
                    return true;
                }
            }
            return false;
        }
        String ifModifiedSince = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        String lastModified = stored.headers().get(HttpHeaderNames.LAST_MODIFIED);
        if (ifModifiedSince == null || lastModified == null) {
            return false;
        }
        Date since = DateFormatter.parseHttpDate(ifModifiedSince);
        Date modified = DateFormatter.parseHttpDate(lastModified);
        return since != null && modified != null && !modified.after(since);
    }

    private static String weak(String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }

    private static long lifetimeSeconds(CacheControl cc, HttpHeaders response) {
        if (cc.sMaxAge() >= 0) {
            return cc.sMaxAge();
        }
        if (cc.maxAge() >= 0) {
            return cc.maxAge();
        }
        String expires = response.get(HttpHeaderNames.EXPIRES);
        if (expires == null) {
            return 0;
        }
        Date expiry = DateFormatter.parseHttpDate(expires);
        if (expiry == null) {
            return 0; // an invalid Expires means already expired (RFC 9111 5.3)
        }
        String dateHeader = response.get(HttpHeaderNames.DATE);
        Date date = dateHeader == null ? null : DateFormatter.parseHttpDate(dateHeader);
        long base = date != null ? date.getTime() : System.currentTimeMillis();
        return Math.max(0, (expiry.getTime() - base) / 1000);
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

    private static String variant(List<String> vary, HttpHeaders request) {
        if (vary.isEmpty()) {
            return "";
        }
        StringBuilder key = new StringBuilder();
        for (String name : vary) {
            key.append('\n').append(name).append('=').append(String.join(",", request.getAll(name)));
        }
        return key.toString();
    }
}
