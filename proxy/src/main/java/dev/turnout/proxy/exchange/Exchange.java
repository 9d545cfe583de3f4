package dev.turnout.proxy.exchange;

import dev.turnout.proxy.metrics.TrafficMetrics;
import dev.turnout.proxy.policy.RoutePolicy;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.upstream.UpstreamStream;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its answer, from the decoded head to the end of the response: admission, route,
 * cache, the {@link Attempt} at a backend, the answer shaped for the client, and the end that
 * counts and logs it. One per client connection, reset for each request (a connection runs one
 * at a time), so its state costs nothing per request.
 *
 * <p>It knows no channel: the client side is a {@link Downstream}, the backend side its
 * {@link Attempt}. Everything runs on the connection's event loop, so nothing here needs a lock.
 *
 * <p>Failures are classified once, as a {@link ProxyFailure}. Before the answer started the
 * client gets that failure's status; after, the connection is reset, since a second status line
 * would corrupt the stream.
 */
public final class Exchange {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    /** How long a miss waits for another request fetching the same answer (nginx's cache lock: 5 s). */
    private static final long MAX_FLIGHT_WAIT_MILLIS = 5_000;

    private final FrontendShared shared;
    private final Downstream downstream;
    private final EventLoop loop;
    private final boolean secure;
    private final Attempt attempt;
    private final CacheStage cache;
    private final GrpcCall grpc = new GrpcCall();
    private final InterimAnswers interims = new InterimAnswers();

    // Counts requests on the connection, so that a late callback knows its exchange is over.
    int id;
    // Non-null while an exchange runs.
    HttpRequest request;
    HttpMethod method;
    String uri;
    String host;
    private String requestId;
    private String clientIp;
    private long startNanos;
    // From the snapshot the request started on: a reload changes it for the next request, not this one.
    long responseTimeoutNanos;
    boolean http10Client;
    private boolean requestKeepAlive;
    // The client said this is its last request (Connection: close, or HTTP/1.0 without keep-alive).
    private boolean clientClosesAfter;
    boolean requestHasBody;
    boolean requestComplete;
    private boolean webSocket;
    private long requestBodyBytes;
    boolean discardingBody;
    Route route;
    Pool pool;
    private boolean waitingForFlight;
    // The client was answered from the cache instead: the backend's answer is read and dropped.
    private boolean swallowingUpstreamBody;
    private boolean skippingInformational;
    boolean responseStarted;
    private boolean responseComplete;
    private boolean responseKeepAlive;
    private int status;
    private long bodyBytes;

    /** @param secure the client connected over TLS */
    public Exchange(FrontendShared shared, Downstream downstream, EventLoop loop, boolean secure) {
        this.shared = shared;
        this.downstream = downstream;
        this.loop = loop;
        this.secure = secure;
        this.attempt = new Attempt(this, shared, downstream, loop);
        this.cache = new CacheStage(shared);
    }

    // ---- what the connection reads ------------------------------------------------------------

    public boolean running() {
        return request != null;
    }

    public boolean requestComplete() {
        return requestComplete;
    }

    /**
     * Whether the last exchange's client said it would send nothing more and its request was read
     * to the end: its connection may be closed outright, with nothing unread that a reset could cost.
     */
    public boolean clientSendsNoMore() {
        return clientClosesAfter && requestComplete;
    }

    public boolean responseStarted() {
        return responseStarted;
    }

    public String method() {
        return method.name();
    }

    public String uri() {
        return uri;
    }

    public int status() {
        return status;
    }

    public long bodyBytes() {
        return bodyBytes;
    }

    public long startNanos() {
        return startNanos;
    }

    public String requestId() {
        return requestId;
    }

    /** The request's client address (from a trusted proxy's X-Forwarded-For, a PROXY header, or the peer). */
    public String clientIp() {
        return clientIp;
    }

    public Route route() {
        return route;
    }

    public Pool pool() {
        return pool;
    }

    public Backend backend() {
        return attempt.backend();
    }

    /** Writes this exchange's access-log line; {@code endNanos} closes its duration. */
    public void logAccess(long endNanos) {
        Backend used = backend();
        shared.accessLog().log(clientIp(), method(), uri(), status(), bodyBytes(), endNanos - startNanos(),
                route == null ? "-" : route.name(), pool == null ? "-" : pool.name(), used == null ? "-" : used.id(),
                requestId());
    }

    /** A gRPC call whose grpc-timeout bounds the backend exchange, instead of the response timeout. */
    boolean hasCallDeadline() {
        return grpc.hasDeadline();
    }

    // ---- the request ----------------------------------------------------------------------------

    /** A new request's decoded head: admitted, routed, answered from the cache or sent on. */
    public void begin(HttpRequest head) {
        id++;
        if (head.protocolVersion().majorVersion() == 1 && head.protocolVersion().minorVersion() > 1) {
            head.setProtocolVersion(HttpVersion.HTTP_1_1); // RFC 9110 2.5: a later 1.x is spoken to as 1.1
        }
        request = head;
        method = head.method();
        uri = head.uri();
        host = null;
        startNanos = System.nanoTime();
        requestKeepAlive = HttpUtil.isKeepAlive(head);
        clientClosesAfter = !requestKeepAlive;
        // Read now: the request is rewritten to HTTP/1.1 for the backend before the answer comes.
        http10Client = head.protocolVersion().equals(HttpVersion.HTTP_1_0);
        requestHasBody = HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
        requestComplete = false;
        requestBodyBytes = 0;
        discardingBody = false;
        responseStarted = false;
        responseComplete = false;
        status = 0;
        bodyBytes = 0;
        attempt.reset();
        interims.begin(head);
        grpc.begin(head);
        requestId = ForwardedHeaders.requestId(head.headers());
        clientIp = downstream.clientIp(head.headers());

        ProxyFailure refused = RequestAdmission.admit(head, this);
        if (refused != null) {
            // A request in doubt is refused and closed; an unmet expectation is only refused.
            requestKeepAlive &= refused == ProxyFailure.EXPECTATION_FAILED;
            fail(refused);
            return;
        }
        if (!secure && shared.httpsRedirectPort() != null && host != null) {
            respondLocally(redirectToHttps());
            return;
        }
        RouteTable table = shared.routing().current();
        responseTimeoutNanos = table.settings().timeouts().request().toNanos();
        if (head.headers().size() > table.settings().limits().headerCount()) {
            requestKeepAlive = false;
            fail(ProxyFailure.HEADERS_TOO_LARGE);
            return;
        }
        route = table.match(host, uri);
        if (route == null) {
            fail(ProxyFailure.NO_ROUTE);
            return;
        }
        RoutePolicy policy = route.policy();
        if (policy != null) {
            FullHttpResponse answered = policy.admit(clientIp, head, host, uri, secure); // access list, redirect, rate limit
            if (answered != null) {
                respondLocally(answered);
                return;
            }
        }
        if (route.maxBodySize() > 0 && HttpUtil.getContentLength(head, 0L) > route.maxBodySize()) {
            requestKeepAlive = false; // the body is not read
            fail(ProxyFailure.PAYLOAD_TOO_LARGE);
            return;
        }
        pool = route.pickPool(head.headers());
        webSocket = isWebSocketUpgrade(head);
        if (!webSocket && !grpc.active() && pool != null && cache.appliesTo(route)) {
            CacheStage.Found found = cache.lookUp(pool, host, head, requestHasBody, true);
            if (found == CacheStage.Found.HIT) {
                respondLocally(cache.hit(pool, host, secure, loop, downstream, route.policy()));
                return;
            }
            if (found == CacheStage.Found.IN_FLIGHT) {
                waitForFlight(head);
                return;
            }
        }
        forwardToBackend(head, table, false);
    }

    private static boolean isWebSocketUpgrade(HttpRequest head) {
        HttpHeaders h = head.headers();
        return head.method().equals(HttpMethod.GET) && h.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /** A 308 to the same target on the TLS listener (the method and body are kept by the client). */
    private FullHttpResponse redirectToHttps() {
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                : host.indexOf(':') < 0 ? host : host.substring(0, host.indexOf(':'));
        String port = shared.httpsRedirectPort();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PERMANENT_REDIRECT);
        response.headers().set(HttpHeaderNames.LOCATION, "https://" + name + (port.isEmpty() ? "" : ":" + port) + uri)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    /**
     * Another request is fetching this very answer: wait for it (on this event loop, without
     * blocking), then look again, so that concurrent misses make one backend request. The wait is
     * bounded; a request that waited never waits again.
     */
    private void waitForFlight(HttpRequest head) {
        int waiting = id;
        Runnable resume = () -> {
            if (waiting != id || request == null || responseStarted || downstream.closing() || !waitingForFlight) {
                return;
            }
            waitingForFlight = false;
            if (cache.lookUp(pool, host, head, requestHasBody, false) == CacheStage.Found.HIT) {
                respondLocally(cache.hit(pool, host, secure, loop, downstream, route.policy()));
                return;
            }
            forwardToBackend(head, shared.routing().current(), true);
        };
        waitingForFlight = true;
        cache.whenLanded(() -> loop.execute(resume));
        loop.schedule(resume, MAX_FLIGHT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A drain raced the backend pick: the request is routed again on the new snapshot. */
    void reroute(RouteTable table) {
        route = table.match(host, uri);
        pool = route == null ? null : route.pickPool(request.headers());
    }

    /** Sends the request to a backend of the chosen pool. */
    private void forwardToBackend(HttpRequest head, RouteTable table, boolean resumed) {
        Backend picked = attempt.pick(table);
        if (picked == null) {
            fail(ProxyFailure.NO_BACKEND);
            return;
        }
        // Expect: 100-continue goes on to the backend, whose 100 is relayed (InterimAnswers).
        ForwardedHeaders.prepareUpstreamRequest(head, downstream.clientIp(), downstream.peerTrusted(), host, picked.address(),
                requestId, secure);
        if (route.policy() != null) {
            route.policy().toBackend(head); // request header rules and the rewrite: the client's URL stays as it was
        }
        if (grpc.active()) {
            // gRPC servers look for it (the call's status comes in trailers), though TE is hop-by-hop.
            head.headers().set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
            int call = id;
            grpc.startDeadline(head, loop, () -> {
                if (call == id && request != null) {
                    callDeadlineExceeded();
                }
            });
        }
        if (webSocket) {
            // The one upgrade passed on: hop-by-hop as they are, the backend must see these two.
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                    .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        }
        attempt.send(head, resumed);
    }

    /** A part of the request body, relayed as it arrives. */
    public void onRequestContent(HttpContent content) {
        if (request == null) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            // The backend must never see this body end cleanly: drop its connection mid-request.
            refuseBody(ProxyFailure.BAD_REQUEST);
            return;
        }
        requestBodyBytes += content.content().readableBytes();
        if (!discardingBody && route != null && route.maxBodySize() > 0 && requestBodyBytes > route.maxBodySize()) {
            // A chunked body grew past the limit while streaming: the backend must not see it end.
            content.release();
            refuseBody(ProxyFailure.PAYLOAD_TOO_LARGE);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (discardingBody) {
            content.release();
        } else {
            attempt.forward(content);
        }
        if (last) {
            requestComplete = true;
            attempt.requestSent();
            if (responseComplete) {
                finish();
            }
        }
    }

    private void refuseBody(ProxyFailure failure) {
        attempt.notReusable();
        requestKeepAlive = false;
        downstream.readNoMore();
        fail(failure);
    }

    /** The end of a read burst from the client: sends what was relayed. */
    public void flushUpstream() {
        attempt.flush();
    }

    /** The client can take more: the backend's answer may be read again. */
    public void clientWritable() {
        attempt.pauseReading(false);
    }

    // ---- the answer -----------------------------------------------------------------------------

    /** An {@code HttpResponse} or {@code HttpContent} from the backend; owned from here on. */
    void onResponseMessage(Object msg) {
        if (msg instanceof HttpResponse head) {
            if (head.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                upstreamFailed(ProxyFailure.BAD_RESPONSE);
                return;
            }
            int code = head.status().code();
            if (code < 100 || code > 599 || !ResponsePolicy.onlyChunked(head.headers())) {
                // No such status (RFC 9110 15), or a coding we would relay undecoded under "chunked".
                ReferenceCountUtil.release(msg);
                upstreamFailed(ProxyFailure.BAD_RESPONSE);
                return;
            }
            if (code < 200) {
                // A 101 is only accepted for a WebSocket upgrade that was asked for; other interim
                // answers are relayed by InterimAnswers' rule, and the final answer follows.
                if (code == 101 && webSocket && requestComplete) {
                    startTunnel(head);
                    return;
                }
                if (code == 101) {
                    ReferenceCountUtil.release(msg);
                    upstreamFailed(ProxyFailure.BAD_RESPONSE);
                    return;
                }
                FullHttpResponse relayed = interims.relay(head, http10Client);
                if (relayed != null) {
                    downstream.interim(relayed);
                }
                skippingInformational = !(head instanceof LastHttpContent);
                ReferenceCountUtil.release(msg);
                return;
            }
            onResponseHead(head);
            return;
        }
        if (msg instanceof HttpContent content) {
            onResponseContent(content);
        }
    }

    /**
     * The backend accepted a WebSocket upgrade: its 101 goes to the client, and the connection
     * takes both sides into a byte tunnel. The tunnel ends the exchange, not {@link #finish}; the
     * backend connection is never pooled again.
     */
    private void startTunnel(HttpResponse switching) {
        responseStarted = true;
        status = 101;
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        answer.headers().set(switching.headers());
        ReferenceCountUtil.release(switching);
        Backend tunnelBackend = attempt.backend();
        UpstreamStream backendSide = attempt.detachForTunnel();
        downstream.upgrade(this, answer, backendSide, tunnelBackend);
        request = null;
    }

    /**
     * The final answer's head. An answer that ended with its head (an HTTP/2 HEADERS frame that
     * ends the stream, such as a gRPC trailers-only answer) arrives whole and is relayed whole, so
     * that the client gets it in the same form.
     */
    private void onResponseHead(HttpResponse head) {
        responseStarted = true;
        attempt.answerStarted();
        status = head.status().code();
        attempt.backendAnswered(status);
        boolean whole = head instanceof LastHttpContent;
        FullHttpResponse fromCache = cache.insteadOf(head);
        if (fromCache != null) {
            answerFromCacheInstead(head, fromCache);
            if (whole) {
                ReferenceCountUtil.release(head);
                onResponseComplete();
            }
            return;
        }
        attempt.reusableIf(HttpUtil.isKeepAlive(head));
        responseKeepAlive = ResponsePolicy.shapeRelayedHead(head, method, keepAliveAllowed(), http10Client);
        cache.relaying(head, method); // stores the backend's own headers: the rules apply to every use
        shapeForClient(head);
        downstream.head(head);
        if (whole) {
            onResponseComplete();
        }
    }

    private boolean keepAliveAllowed() {
        return ResponsePolicy.keepAlive(requestKeepAlive, downstream.mayKeepAlive(), requestComplete, requestHasBody);
    }

    /**
     * The backend's answer confirmed a stale entry (304) or failed (5xx) with a stale entry that
     * may stand in: the client gets the cached answer, and the backend's own (an empty 304 or an
     * error page) is read to its end and dropped, so its connection stays reusable.
     */
    private void answerFromCacheInstead(HttpResponse backendHead, FullHttpResponse fromCache) {
        attempt.reusableIf(HttpUtil.isKeepAlive(backendHead));
        swallowingUpstreamBody = true;
        status = fromCache.status().code();
        bodyBytes = fromCache.content().readableBytes();
        responseKeepAlive = keepAliveAllowed();
        ResponsePolicy.markConnection(fromCache.headers(), responseKeepAlive, http10Client);
        shapeForClient(fromCache);
        downstream.head(fromCache);
    }

    private void onResponseContent(HttpContent content) {
        if (swallowingUpstreamBody) {
            content.release();
            if (content instanceof LastHttpContent) {
                onResponseComplete();
            }
            return;
        }
        if (skippingInformational) {
            content.release();
            if (content instanceof LastHttpContent) {
                skippingInformational = false;
            }
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            upstreamFailed(ProxyFailure.BAD_RESPONSE);
            return;
        }
        if (!responseStarted || responseComplete) {
            content.release();
            return;
        }
        bodyBytes += content.content().readableBytes();
        cache.append(content.content());
        downstream.body(content);
        if (content instanceof LastHttpContent) {
            onResponseComplete();
        } else if (!downstream.isWritable()) {
            attempt.pauseReading(true);
        }
    }

    private void onResponseComplete() {
        responseComplete = true;
        attempt.answered();
        cache.store();
        if (!requestComplete) {
            // The backend answered before the whole body arrived: the rest of the body cannot be
            // delivered anywhere, so neither connection can be reused.
            discardingBody = true;
            attempt.notReusable();
            responseKeepAlive = false;
        }
        finish();
    }

    void upstreamFailed(ProxyFailure failure) {
        attempt.notReusable();
        if (responseStarted && grpc.active() && !responseComplete) {
            endCallWith(failure);
        } else if (responseStarted) {
            abort();
        } else {
            fail(failure);
        }
    }

    /** The call's grpc-timeout ran out: the client gets DEADLINE_EXCEEDED and the backend stream is reset. */
    private void callDeadlineExceeded() {
        if (responseComplete) {
            return;
        }
        attempt.notReusable();
        if (responseStarted) {
            endCallWith(ProxyFailure.DEADLINE_EXCEEDED);
        } else {
            respondLocally(GrpcCall.errorAnswer(ProxyFailure.DEADLINE_EXCEEDED), ProxyFailure.DEADLINE_EXCEEDED.statusCode());
        }
    }

    /**
     * A gRPC answer that had begun cannot go on: rather than a reset, the client gets trailers with
     * the status, as a server would end a failed call; the backend stream is reset.
     */
    private void endCallWith(ProxyFailure failure) {
        responseComplete = true;
        attempt.answered();
        discardingBody = true;
        responseKeepAlive = false;
        downstream.body(GrpcCall.errorTrailers(failure));
        finish();
    }

    // ---- ending ---------------------------------------------------------------------------------

    /** Answers with the failure's status (after any retry it allows), or resets if the answer started. */
    public void fail(ProxyFailure failure) {
        if (responseStarted) {
            abort();
            return;
        }
        if (failure.retryReason() != null && attempt.backend() != null) {
            attempt.backendFailed(failure);
            if (attempt.retry(failure.retryReason())) {
                return;
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} -> {} ({})", method, uri, failure.statusCode(), failure.tag());
        }
        if (grpc.active()) {
            respondLocally(GrpcCall.errorAnswer(failure), failure.statusCode());
            return;
        }
        FullHttpResponse stale = cache.staleOnError();
        respondLocally(stale != null ? stale : failure.newResponse(true));
    }

    /** The request stops short of its end (too slow, or the client or backend went quiet). */
    public void requestTimedOut(ProxyFailure failure) {
        requestKeepAlive = false;
        fail(failure);
    }

    /** Answers without (or no longer with) a backend: a failure's status, or a cache hit. */
    private void respondLocally(FullHttpResponse response) {
        respondLocally(response, response.status().code());
    }

    /**
     * @param countedStatus the status metrics and the access log count: a gRPC error goes out as
     *                      200 but counts as the HTTP status it stands for (502, 503, 504...)
     */
    private void respondLocally(FullHttpResponse response, int countedStatus) {
        attempt.abandon();
        responseStarted = true;
        responseComplete = true;
        attempt.answered();
        discardingBody = true;
        status = countedStatus;
        bodyBytes = response.content().readableBytes();
        responseKeepAlive = keepAliveAllowed();
        ResponsePolicy.markConnection(response.headers(), responseKeepAlive, http10Client);
        shapeForClient(response);
        downstream.answer(response);
        // A bodyless request's end is about to be read; a body we will not read ends the connection.
        if (requestComplete || !responseKeepAlive) {
            finish();
        }
    }

    /** The route's response header rules, on every answer of the route: relayed, from the cache, or Turnout's own. */
    private void shapeForClient(HttpResponse answer) {
        RoutePolicy policy = route == null ? null : route.policy();
        if (policy != null) {
            policy.toClient(answer.headers());
        }
    }

    private void finish() {
        boolean keepAlive = responseKeepAlive && downstream.mayKeepAlive();
        end(attempt.reusable() && requestComplete && responseComplete);
        downstream.end(keepAlive);
    }

    /** Gives up on an exchange whose answer already started: the client connection is reset. */
    public void abort() {
        downstream.readNoMore();
        end(false);
        downstream.reset();
    }

    /** The client connection closed under the exchange. */
    public void clientClosed() {
        if (request != null) {
            if (!responseStarted) {
                status = 499; // nginx's "client closed request"
            }
            end(false);
        }
        attempt.connectionClosed();
    }

    /** Returns or drops the backend connection, counts and logs, and clears the exchange. */
    private void end(boolean reuseUpstream) {
        skippingInformational = false;
        grpc.end();
        attempt.end(reuseUpstream);
        long endNanos = System.nanoTime();
        TrafficMetrics metrics = shared.metrics();
        if (metrics != null) {
            metrics.record(route, pool, attempt.backend(), status, endNanos - startNanos);
        }
        cache.end(metrics);
        downstream.ended(this, endNanos);
        // An idle keep-alive connection keeps nothing of its last request.
        request = null;
        uri = null;
        host = null;
        requestId = null;
        route = null;
        pool = null;
        attempt.forget();
        swallowingUpstreamBody = false;
        waitingForFlight = false;
        downstream.resume(Downstream.CONNECTING | Downstream.UPSTREAM_FULL);
    }
}
