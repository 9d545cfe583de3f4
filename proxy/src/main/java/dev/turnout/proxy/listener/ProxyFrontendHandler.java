package dev.turnout.proxy.listener;

import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.config.ResilienceConfig;
import dev.turnout.proxy.metrics.TrafficMetrics;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.RetryReason;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.upstream.UpstreamListener;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies one client connection, one exchange (request and its response) at a time.
 *
 * <p>Design. Everything here runs on the client channel's event loop, and the backend connection
 * is opened on (or leased from the pool of) that same loop, so no field needs a lock. Bodies are
 * never aggregated: each {@link HttpContent} is written to the other side as it arrives and
 * flushed at the end of the read burst. Back-pressure is symmetric: when the backend connection
 * stops being writable the client's reads pause, and when the client's stops being writable the
 * backend's reads pause.
 *
 * <p>Pipelined requests that arrive while an exchange is running wait in {@code pipelined}, and
 * reading pauses until they have been served, so responses leave in request order.
 *
 * <p>Failures are classified once, as a {@link ProxyFailure}. Before the response started the
 * client gets that failure's status; after, the client connection is closed, since a second
 * status line would corrupt the stream.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter implements UpstreamListener {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyFrontendHandler.class);

    // Reasons the client's reads are paused; reading resumes when none is left.
    private static final int PAUSE_CONNECTING = 1;
    private static final int PAUSE_UPSTREAM_FULL = 2;
    private static final int PAUSE_PIPELINED = 4;
    /** How long a miss waits for another request fetching the same answer (nginx's cache lock: 5 s). */
    private static final long MAX_FLIGHT_WAIT_MILLIS = 5_000;
    /**
     * Once shutdown began, how long a keep-alive connection must have been idle before it is
     * closed without an answer that says so; a busier client gets its next answer with
     * "Connection: close" instead, and never has to send a request again.
     */
    private static final long SHUTDOWN_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final FrontendShared shared;
    private final boolean secure;
    private final ArrayDeque<Object> pipelined = new ArrayDeque<>(2);
    private final ArrayDeque<HttpObject> awaitingConnect = new ArrayDeque<>(2);
    private final Runnable responseTimerTick = this::onResponseTimerTick;

    private ChannelHandlerContext ctx;
    private RequestHeadGuard readTimeout;
    private String clientIp;
    private int pausedBy;
    private boolean drainingPipeline;
    // Shutting down, or the client misbehaved: no keep-alive after the exchange in progress.
    private boolean closeAfterExchange;
    private boolean closing;
    private ScheduledFuture<?> responseTimer;
    // When the last exchange ended (or the connection opened).
    private long idleSinceNanos;

    // The current exchange; request != null while one runs.
    private int exchangeId;
    private HttpRequest request;
    private HttpMethod method;
    private String uri;
    private String requestId;
    private long startNanos;
    private boolean requestKeepAlive;
    private boolean requestHasBody;
    private boolean requestComplete;
    private boolean webSocket;
    private long requestBodyBytes;
    private boolean discardingBody;
    private Route route;
    private Pool pool;
    private Backend backend;
    private Channel upstream;
    private boolean upstreamReusable;
    private boolean upstreamWasPooled;
    // Nothing of the request was written to the current attempt's backend yet.
    private boolean requestUnsent;
    private boolean retriedOnFreshConnection;
    private int retries;
    // The backends this exchange was sent to, so that a retry goes to one not tried yet.
    private final Backend[] tried = new Backend[ResilienceConfig.MAX_RETRIES + 1];
    private int attempts;
    private boolean holdsRetryToken;
    private ResponseCache.Lookup cacheLookup;
    private ResponseCache.Fill cacheFill;
    // How the cache served the client when it differs from the lookup's result (a 304 or a stale stand-in).
    private ResponseCache.Result cacheServed;
    private boolean waitingForFlight;
    // The client was answered from the cache instead: the backend's answer is read and dropped.
    private boolean swallowingUpstreamBody;
    private boolean upstreamNeedsFlush;
    private boolean awaitingResponse;
    private long lastUpstreamActivity;
    private boolean skippingInformational;
    private boolean responseStarted;
    private boolean responseComplete;
    private boolean responseKeepAlive;
    private int status;
    private long bodyBytes;
    private boolean http10Client;

    /** @param secure the client connected over TLS */
    ProxyFrontendHandler(FrontendShared shared, boolean secure) {
        this.shared = shared;
        this.secure = secure;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.idleSinceNanos = System.nanoTime();
        this.readTimeout = ctx.pipeline().get(RequestHeadGuard.class);
    }

    // ---- client side ------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (readTimeout != null) {
            // In decoding order, which pipelining does not change.
            if (msg instanceof HttpRequest head && head.decoderResult().isSuccess()) {
                readTimeout.headReceived(HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0);
            }
            if (msg instanceof LastHttpContent) {
                readTimeout.bodyReceived();
            }
        }
        if (!pipelined.isEmpty() || (msg instanceof HttpRequest && request != null)) {
            pipelined.add(msg);
            pause(PAUSE_PIPELINED);
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest head) {
            if (head.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                rejectMalformed(head.decoderResult().cause());
                return;
            }
            onRequestHead(head);
        }
        if (msg instanceof HttpContent content) {
            onRequestContent(content);
        }
    }

    private void onRequestHead(HttpRequest head) {
        exchangeId++;
        if (head.protocolVersion().majorVersion() == 1 && head.protocolVersion().minorVersion() > 1) {
            head.setProtocolVersion(HttpVersion.HTTP_1_1); // RFC 9110 2.5: a later 1.x is spoken to as 1.1
        }
        request = head;
        method = head.method();
        uri = head.uri();
        startNanos = System.nanoTime();
        requestKeepAlive = HttpUtil.isKeepAlive(head);
        // Read now: the request is rewritten to HTTP/1.1 for the backend before the answer comes.
        http10Client = head.protocolVersion().equals(HttpVersion.HTTP_1_0);
        requestHasBody = HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
        requestComplete = false;
        requestBodyBytes = 0;
        discardingBody = false;
        responseStarted = false;
        responseComplete = false;
        upstreamReusable = false;
        retriedOnFreshConnection = false;
        retries = 0;
        attempts = 0;
        status = 0;
        bodyBytes = 0;
        requestId = ForwardedHeaders.requestId(head.headers());

        Iterator<String> hosts = head.headers().valueStringIterator(HttpHeaderNames.HOST);
        String host = hosts.hasNext() ? hosts.next() : null;
        if (hosts.hasNext()) {
            // RFC 9112 3.2: two Hosts must be refused; proxy and backend could each pick another.
            requestKeepAlive = false;
            fail(ProxyFailure.DUPLICATE_HOST);
            return;
        }
        if (host == null && !http10Client) {
            requestKeepAlive = false; // RFC 9112 3.2: refused and closed, like any request in doubt
            fail(ProxyFailure.MISSING_HOST);
            return;
        }
        if (!uri.startsWith("/")) {
            String authority = RequestTarget.absoluteFormAuthority(uri);
            if (authority != null) {
                // RFC 9112 3.2.2: the target's authority wins over Host; the backend gets origin-form.
                uri = RequestTarget.absoluteFormPath(uri);
                head.setUri(uri);
                host = authority;
                head.headers().set(HttpHeaderNames.HOST, authority);
            } else if (!(uri.equals("*") && method.equals(HttpMethod.OPTIONS))) {
                requestKeepAlive = false;
                fail(ProxyFailure.BAD_TARGET);
                return;
            }
        }
        if (host != null && !RequestTarget.validHost(host)) {
            requestKeepAlive = false;
            fail(ProxyFailure.BAD_HOST);
            return;
        }
        if (!onlyChunked(head.headers())) {
            // Only "chunked" is spoken here: a coding before it would reach the backend undecoded.
            requestKeepAlive = false;
            fail(ProxyFailure.BAD_TRANSFER_CODING);
            return;
        }
        String expect = head.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
            fail(ProxyFailure.EXPECTATION_FAILED);
            return;
        }
        if (!secure && shared.httpsRedirectPort() != null && host != null) {
            respondLocally(redirectToHttps(host));
            return;
        }
        if (head.headers().size() > shared.maxHeaderCount()) {
            requestKeepAlive = false;
            fail(ProxyFailure.HEADERS_TOO_LARGE);
            return;
        }
        RouteTable table = shared.routing().current();
        route = table.match(host, uri);
        if (route == null) {
            fail(ProxyFailure.NO_ROUTE);
            return;
        }
        if (route.maxBodySize() > 0 && HttpUtil.getContentLength(head, 0L) > route.maxBodySize()) {
            requestKeepAlive = false; // the body is not read
            fail(ProxyFailure.PAYLOAD_TOO_LARGE);
            return;
        }
        pool = route.pickPool(head.headers());
        webSocket = isWebSocketUpgrade(head);
        if (!webSocket && pool != null && shared.cache() != null && route.cache()) {
            cacheLookup = shared.cache().lookup(pool.name(), host, head, requestHasBody);
            if (cacheLookup.hit() != null) {
                respondFromCache(host);
                return;
            }
            ResponseCache.Flight flight = cacheLookup.following();
            if (flight != null) {
                waitForFlight(flight, head, host);
                return;
            }
            cacheLookup.addValidators();
        }
        forwardToBackend(head, table, host, false);
    }

    private static boolean isWebSocketUpgrade(HttpRequest head) {
        HttpHeaders h = head.headers();
        return head.method().equals(HttpMethod.GET) && h.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /**
     * The backend accepted a WebSocket upgrade: its 101 goes to the client, then both connections
     * leave HTTP for a byte tunnel. The exchange stays in flight on the backend (a drain waits for
     * it) until the tunnel closes; the backend connection is never pooled again.
     */
    private void startTunnel(HttpResponse switching) {
        responseStarted = true;
        awaitingResponse = false;
        status = 101;
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        answer.headers().set(switching.headers());
        ReferenceCountUtil.release(switching);
        Channel up = upstream;
        upstream = null;
        Backend tunnelBackend = backend;
        Route tunnelRoute = route;
        Pool tunnelPool = pool;
        String tunnelUri = uri;
        long started = startNanos;
        backend = null; // the tunnel ends the exchange, not endExchange
        WebSocketTunnel[] self = new WebSocketTunnel[1];
        Runnable closer = () -> self[0].closeLater();
        WebSocketTunnel tunnel = new WebSocketTunnel(ctx.channel(), up, () -> {
            tunnelBackend.tunnelClosed(closer);
            tunnelBackend.requestFinished();
            long nanos = System.nanoTime() - started;
            if (shared.metrics() != null) {
                shared.metrics().record(tunnelRoute, tunnelPool, tunnelBackend, 101, nanos);
            }
            if (AccessLog.enabled()) {
                AccessLog.log(clientIp(), "GET", tunnelUri, 101, 0, nanos, tunnelRoute.name(), tunnelPool.name(),
                        tunnelBackend.id(), requestId);
            }
        });
        self[0] = tunnel;
        tunnelBackend.tunnelOpened(closer);
        ctx.writeAndFlush(answer); // encoded now, before the HTTP codec leaves the pipeline
        ChannelPipeline client = ctx.pipeline();
        client.addLast("tunnel", tunnel.towardBackend());
        up.pipeline().addLast("tunnel", tunnel.towardClient());
        // This handler leaves first, so that bytes the codecs still hold go straight to the tunnel.
        request = null;
        closing = true;
        releaseQueued();
        if (holdsRetryToken) {
            holdsRetryToken = false;
            tunnelPool.retryBudget().release();
        }
        if (readTimeout != null) {
            readTimeout.stop();
        }
        client.remove(this);
        for (String name : new String[] {"compress", "read-timeout", "http"}) {
            if (client.get(name) != null) {
                client.remove(name);
            }
        }
        for (String name : new String[] {"relay", "http-encoder", "http-decoder", "head-guard"}) {
            if (up.pipeline().get(name) != null) {
                up.pipeline().remove(name);
            }
        }
        client.channel().config().setAutoRead(true);
        up.config().setAutoRead(true);
    }

    /** A 308 to the same target on the TLS listener (the method and body are kept by the client). */
    private FullHttpResponse redirectToHttps(String host) {
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                : host.indexOf(':') < 0 ? host : host.substring(0, host.indexOf(':'));
        String port = shared.httpsRedirectPort();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PERMANENT_REDIRECT);
        response.headers().set(HttpHeaderNames.LOCATION, "https://" + name + (port.isEmpty() ? "" : ":" + port) + uri)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    /** Answers a fresh hit, or a stale one while a background request refreshes the entry. */
    private void respondFromCache(String host) {
        ResponseCache.Lookup refresh = cacheLookup.backgroundRefresh();
        if (refresh != null) {
            CacheRefresher.start(shared, pool, refresh, host, clientIp(), secure, ctx.channel().eventLoop());
        }
        respondLocally(cacheLookup.hit());
    }

    /**
     * Another request is fetching this very answer: wait for it (on this event loop, without
     * blocking), then look again, so that concurrent misses make one backend request. The wait is
     * bounded; a request that waited never waits again.
     */
    private void waitForFlight(ResponseCache.Flight flight, HttpRequest head, String host) {
        int id = exchangeId;
        Runnable resume = () -> {
            if (id != exchangeId || request == null || responseStarted || closing || !waitingForFlight) {
                return;
            }
            waitingForFlight = false;
            cacheLookup = shared.cache().lookup(pool.name(), host, head, requestHasBody, false);
            if (cacheLookup.hit() != null) {
                respondFromCache(host);
                return;
            }
            cacheLookup.addValidators();
            forwardToBackend(head, shared.routing().current(), host, true);
        };
        waitingForFlight = true;
        flight.whenLanded(() -> ctx.executor().execute(resume));
        ctx.executor().schedule(resume, MAX_FLIGHT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Sends the request to a backend of the chosen pool.
     *
     * @param resumed the request waited for another fetch: parts of it that arrived meanwhile are
     *                queued behind it, and nothing else will flush them
     */
    private void forwardToBackend(HttpRequest head, RouteTable table, String host, boolean resumed) {
        Backend picked = pickBackend(table, host);
        if (picked == null) {
            fail(ProxyFailure.NO_BACKEND);
            return;
        }
        if (HttpUtil.is100ContinueExpected(head)) {
            // Answered here, when the request is really dispatched, so that a pipelined request
            // cannot slip a 100 into the middle of the response before it.
            HttpUtil.set100ContinueExpected(head, false);
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        ForwardedHeaders.prepareUpstreamRequest(head, clientIp(), host, picked.address(), requestId, secure);
        if (webSocket) {
            // The one upgrade passed on: hop-by-hop as they are, the backend must see these two.
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                    .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        }

        Channel pooled = shared.connector().leaseIdle(picked, this);
        if (pooled == null && !roomForConnection(picked)) {
            pooled = moveToBackendWithRoom();
            if (pooled == null && !roomForConnection(backend)) {
                fail(ProxyFailure.BACKEND_AT_CAPACITY);
                return;
            }
        }
        awaitingConnect.addFirst(head);
        requestUnsent = true;
        if (pooled == null) {
            connectUpstream();
            return;
        }
        attachUpstream(pooled, true);
        HttpObject queued;
        while ((queued = awaitingConnect.poll()) != null) {
            pooled.write(queued);
        }
        upstreamNeedsFlush = true;
        if (resumed) {
            upstreamNeedsFlush = false;
            pooled.flush();
            if (requestComplete) {
                armResponseTimer();
            }
        }
    }

    private boolean roomForConnection(Backend b) {
        return pool.resilience().roomFor(b.openConnections(), b.pendingConnects());
    }

    /**
     * The picked backend is at its connection limit with no idle connection: rather than queue,
     * the request moves to another backend in rotation that has an idle connection (returned) or
     * room for a new one (null returned, {@code backend} switched). Nothing was sent yet, so
     * moving is always safe. If none has either, {@code backend} stays as it was.
     */
    private Channel moveToBackendWithRoom() {
        for (int i = 0; i < pool.members().size(); i++) {
            Backend other = pool.pickOtherThan(backend);
            if (other == null) {
                return null;
            }
            Channel idle = shared.connector().leaseIdle(other, this);
            if (idle != null || roomForConnection(other)) {
                backend.requestFinished();
                backend = other;
                tried[attempts - 1] = other;
                other.requestStarted();
                return idle;
            }
        }
        return null;
    }

    /**
     * Picks a backend of the chosen pool, counting the request in flight on it. A drain publishes
     * its snapshot and then reads the in-flight count; here the count is raised and then the
     * snapshot read again. So if a drain raced this pick, either the drain sees the request and
     * waits for it, or this sees the new snapshot and routes again: a drained backend never gets a
     * request.
     */
    private Backend pickBackend(RouteTable table, String host) {
        while (true) {
            Backend picked = pool == null ? null : pool.pick();
            if (picked == null) {
                return null;
            }
            picked.requestStarted();
            RouteTable now = shared.routing().current();
            if (now == table || now.inRotation(picked)) {
                backend = picked;
                tried[0] = picked;
                attempts = 1;
                return picked;
            }
            picked.requestFinished();
            table = now;
            route = table.match(host, uri);
            pool = route == null ? null : route.pickPool(request.headers());
        }
    }

    private void backendFailed(ProxyFailure failure) {
        shared.ejector().onFailure(backend, pool, backend.recordFailure());
        if (failure == ProxyFailure.CONNECT_REFUSED) {
            shared.ejector().onRefused(backend, pool);
        }
    }

    /**
     * Sends the request again, to a backend of the pool not tried yet, when that is safe and
     * allowed, within the pool's {@code retries}.
     * <ul>
     * <li>Nothing of it was sent (connection refused or not accepted in time): always. The request
     * and the body received so far are still queued, and the retry costs no budget.
     * <li>Sent, and the connection closed before any answer byte: when the route's
     * {@code retry-methods} name its method (it may be repeated) and it has no body, which was
     * streamed and not kept. Such a retry adds load to the pool, so it spends the retry budget.
     * A pooled keep-alive connection closed as it was reused, with no other backend to go to, is
     * tried once on a fresh connection to the same one.
     * </ul>
     */
    private boolean retry(RetryReason reason) {
        boolean sent = !requestUnsent;
        if (closing || (sent && (!requestComplete || requestHasBody || !route.retries(method)))) {
            return false;
        }
        Pool current = shared.routing().current().pools().getOrDefault(pool.name(), pool);
        Backend next = retries < pool.resilience().retries() ? current.pickExcluding(tried, attempts) : null;
        if (next == null) {
            return sent && retryOnFreshConnection();
        }
        if (sent && !holdsRetryToken) {
            if (!current.tryAcquireRetry()) {
                return false;
            }
            holdsRetryToken = true;
        }
        next.requestStarted();
        if (!shared.routing().current().inRotation(next)) {
            next.requestFinished();
            return false;
        }
        retries++;
        pool.retryBudget().retried(reason);
        backend.requestFinished();
        backend = next;
        tried[attempts++] = next;
        sendAgain(sent);
        return true;
    }

    /**
     * The backend closed a pooled connection as it was reused, and no other backend may take the
     * request: once more, on a fresh connection (as nginx does), outside {@code retries}.
     */
    private boolean retryOnFreshConnection() {
        if (!upstreamWasPooled || retriedOnFreshConnection) {
            return false;
        }
        retriedOnFreshConnection = true;
        pool.retryBudget().retried(RetryReason.CLOSED_BEFORE_ANSWER);
        sendAgain(true);
        return true;
    }

    /**
     * Starts the next attempt on {@code backend}. A request that was sent is bodiless and is
     * queued again; one that was not is still queued, with whatever of its body arrived.
     */
    private void sendAgain(boolean sent) {
        if (upstream != null) {
            Channel up = upstream;
            upstream = null;
            shared.connector().discard(up);
        }
        awaitingResponse = false;
        if (sent) {
            releaseAwaiting();
            awaitingConnect.add(request);
            awaitingConnect.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        requestUnsent = true;
        Channel pooled = shared.connector().leaseIdle(backend, this);
        if (pooled == null) {
            if (roomForConnection(backend)) {
                connectUpstream();
            } else {
                fail(ProxyFailure.BACKEND_AT_CAPACITY);
            }
            return;
        }
        attachUpstream(pooled, true);
        HttpObject queued;
        while ((queued = awaitingConnect.poll()) != null) {
            pooled.write(queued);
        }
        pooled.flush();
        resume(PAUSE_CONNECTING);
        if (requestComplete) {
            armResponseTimer();
        }
    }

    private void connectUpstream() {
        pause(PAUSE_CONNECTING);
        int id = exchangeId;
        ChannelFuture connecting = shared.connector().connect(backend, ctx.channel().eventLoop());
        connecting.addListener((ChannelFutureListener) f -> onConnected(id, f));
    }

    private void onConnected(int id, ChannelFuture future) {
        if (id != exchangeId || request == null || responseStarted) {
            future.channel().close();
            return;
        }
        if (!future.isSuccess()) {
            fail(future.cause() instanceof ConnectTimeoutException
                    ? ProxyFailure.CONNECT_TIMEOUT : ProxyFailure.CONNECT_REFUSED);
            return;
        }
        Channel ch = future.channel();
        if (!ch.isActive()) {
            fail(ProxyFailure.RESET_BEFORE_RESPONSE); // nothing was written: still unsent
            return;
        }
        shared.connector().bind(ch, this);
        attachUpstream(ch, false);
        HttpObject queued;
        while ((queued = awaitingConnect.poll()) != null) {
            ch.write(queued);
        }
        ch.flush();
        resume(PAUSE_CONNECTING);
        if (!ch.isWritable()) {
            pause(PAUSE_UPSTREAM_FULL);
        }
        if (requestComplete) {
            armResponseTimer();
        }
    }

    private void attachUpstream(Channel ch, boolean pooled) {
        upstream = ch;
        requestUnsent = false; // what is queued is written to it right after
        upstreamReusable = true;
        upstreamWasPooled = pooled;
    }

    private void onRequestContent(HttpContent content) {
        if (request == null) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            // The backend must never see this body end cleanly: drop its connection mid-request.
            upstreamReusable = false;
            requestKeepAlive = false;
            closing = true;
            fail(ProxyFailure.BAD_REQUEST);
            return;
        }
        requestBodyBytes += content.content().readableBytes();
        if (!discardingBody && route != null && route.maxBodySize() > 0 && requestBodyBytes > route.maxBodySize()) {
            // A chunked body grew past the limit while streaming: the backend must not see it end.
            content.release();
            upstreamReusable = false;
            requestKeepAlive = false;
            closing = true;
            fail(ProxyFailure.PAYLOAD_TOO_LARGE);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (discardingBody) {
            content.release();
        } else if (upstream != null) {
            upstream.write(content);
            upstreamNeedsFlush = true;
            if (!upstream.isWritable()) {
                pause(PAUSE_UPSTREAM_FULL);
            }
        } else {
            awaitingConnect.add(content);
        }
        if (last) {
            requestComplete = true;
            if (upstream != null && !responseStarted) {
                armResponseTimer();
            }
            if (responseComplete) {
                finishExchange();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (upstreamNeedsFlush && upstream != null) {
            upstreamNeedsFlush = false;
            upstream.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upstream != null && ctx.channel().isWritable()) {
            upstream.config().setAutoRead(true);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == RequestHeadGuard.EXPIRED) {
            onClientTooSlow();
        } else if (evt instanceof RequestHeadGuard.Malformed malformed) {
            onMalformedHead(malformed.status());
        } else if (evt instanceof IdleStateEvent) {
            onClientIdle();
        } else if (evt == ShutdownRequested.INSTANCE) {
            closeAfterExchange = true;
            if (request == null) {
                // Not at once: a request may be on its way on this idle connection, and closing
                // under it fails it with no answer.
                closeIfStillIdle();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /**
     * Closes a connection that has been idle for {@link #SHUTDOWN_IDLE_NANOS} during shutdown;
     * one that sends a request first is answered with "Connection: close" and closed after it.
     */
    private void closeIfStillIdle() {
        if (request != null || closing) {
            return;
        }
        long idleFor = System.nanoTime() - idleSinceNanos;
        if (idleFor < SHUTDOWN_IDLE_NANOS || (readTimeout != null && readTimeout.midRequest())) {
            ctx.executor().schedule(this::closeIfStillIdle, Math.max(SHUTDOWN_IDLE_NANOS - idleFor,
                    SHUTDOWN_IDLE_NANOS / 10), TimeUnit.NANOSECONDS);
            return;
        }
        closing = true;
        ctx.close();
    }

    /** A request head broke the strict syntax before it was decoded; nothing more is read. */
    private void onMalformedHead(int status) {
        if (request != null) {
            closeAfterExchange = true; // the exchange in progress finishes; the bad request gets no answer of its own
            return;
        }
        closing = true;
        releaseQueued();
        readTimeout.rejectMalformedHead(status);
        countRejected(status == 505 ? ProxyFailure.VERSION_NOT_SUPPORTED : ProxyFailure.BAD_REQUEST);
    }

    /** A request's head or body did not arrive within its read timeout. */
    private void onClientTooSlow() {
        if (closing) {
            return;
        }
        if (pausedBy != 0) {
            readTimeout.extend(); // we stopped reading, not the client
            return;
        }
        readTimeout.stop();
        if (request != null && !requestComplete) {
            if (responseStarted) {
                abortExchange();
            } else {
                requestKeepAlive = false;
                fail(ProxyFailure.CLIENT_TIMEOUT);
            }
        } else if (request != null) {
            // The next request's head is slow while this exchange runs: finish it, then close.
            closeAfterExchange = true;
        } else {
            closing = true;
            releaseQueued();
            readTimeout.rejectSlowHead();
            countRejected(ProxyFailure.CLIENT_TIMEOUT);
        }
    }

    private void onClientIdle() {
        if (request == null) {
            closing = true;
            ctx.close();
        } else if (!requestComplete) {
            // Nothing moved on the client connection for the idle timeout while the request body
            // was due: either the backend stopped reading it or the client stopped sending it.
            fail((pausedBy & PAUSE_UPSTREAM_FULL) != 0 ? ProxyFailure.RESPONSE_TIMEOUT : ProxyFailure.CLIENT_TIMEOUT);
        } else if (responseStarted && !ctx.channel().isWritable()) {
            // The client stopped reading its response.
            abortExchange();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (request != null) {
            if (!responseStarted) {
                status = 499; // nginx's "client closed request"
            }
            endExchange(false);
        }
        releaseQueued();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client connection {} failed", ctx.channel(), cause);
        closing = true;
        ctx.close();
    }

    // ---- backend side -----------------------------------------------------------------------

    @Override
    public void onUpstreamMessage(Object msg) {
        if (msg instanceof HttpResponse head) {
            if (head.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                upstreamFailed(ProxyFailure.BAD_RESPONSE);
                return;
            }
            int code = head.status().code();
            if (code < 100 || code > 599 || !onlyChunked(head.headers())) {
                // No such status (RFC 9110 15), or a coding we would relay undecoded under "chunked".
                ReferenceCountUtil.release(msg);
                upstreamFailed(ProxyFailure.BAD_RESPONSE);
                return;
            }
            if (code < 200) {
                // Interim answers (100, 103) are dropped: the client got its 100 from us, and the
                // final answer follows. A 101 is only accepted for a WebSocket upgrade that was asked for.
                if (code == 101 && webSocket && requestComplete) {
                    startTunnel(head);
                    return;
                }
                ReferenceCountUtil.release(msg);
                if (code == 101) {
                    upstreamFailed(ProxyFailure.BAD_RESPONSE);
                } else {
                    skippingInformational = true;
                }
                return;
            }
            onResponseHead(head);
        }
        if (msg instanceof HttpContent content) {
            onResponseContent(content);
        }
    }

    private void onResponseHead(HttpResponse head) {
        responseStarted = true;
        status = head.status().code();
        if (status >= 500) {
            backendFailed(ProxyFailure.BAD_RESPONSE);
        } else {
            backend.recordSuccess();
        }
        if (cacheLookup != null) {
            boolean confirmed = cacheLookup.confirms(head);
            FullHttpResponse fromCache = confirmed ? cacheLookup.refreshed(head)
                    : status >= 500 ? cacheLookup.staleOnError() : null;
            if (fromCache != null) {
                cacheServed = confirmed ? ResponseCache.Result.HIT : ResponseCache.Result.STALE;
                answerFromCacheInstead(head, fromCache);
                return;
            }
        }
        upstreamReusable &= HttpUtil.isKeepAlive(head);
        ForwardedHeaders.removeHopByHop(head.headers());

        boolean keepAlive = requestKeepAlive && !closeAfterExchange && (requestComplete || !requestHasBody);
        boolean bodyless = method.equals(HttpMethod.HEAD) || status == 204 || status == 304;
        if (!bodyless && !HttpUtil.isContentLengthSet(head)) {
            if (http10Client) {
                // No chunked encoding in HTTP/1.0: the body ends when the connection does.
                head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                keepAlive = false;
            } else if (!HttpUtil.isTransferEncodingChunked(head)) {
                HttpUtil.setTransferEncodingChunked(head, true);
            }
        }
        head.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (!keepAlive) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        responseKeepAlive = keepAlive;
        if (cacheLookup != null) {
            cacheLookup.answered(head);
            cacheFill = method.equals(HttpMethod.GET) ? cacheLookup.fill(head) : null;
            cacheLookup.label(head);
        }
        // The void promise spares a promise per write (and the encoder a combiner); a failed write
        // reaches exceptionCaught, which closes the connection, as its close would anyway.
        ctx.write(head, ctx.voidPromise());
    }

    /**
     * The backend's answer confirmed a stale entry (304) or failed (5xx) with a stale entry that
     * may stand in: the client gets the cached answer, and the backend's own (an empty 304 or an
     * error page) is read to its end and dropped, so its connection stays reusable.
     */
    private void answerFromCacheInstead(HttpResponse backendHead, FullHttpResponse fromCache) {
        upstreamReusable &= HttpUtil.isKeepAlive(backendHead);
        swallowingUpstreamBody = true;
        status = fromCache.status().code();
        bodyBytes = fromCache.content().readableBytes();
        responseKeepAlive = requestKeepAlive && !closeAfterExchange && (requestComplete || !requestHasBody);
        if (!responseKeepAlive) {
            fromCache.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            fromCache.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.write(fromCache);
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
        if (cacheFill != null && !cacheFill.append(content.content())) {
            cacheFill = null;
        }
        ctx.write(content, ctx.voidPromise());
        if (content instanceof LastHttpContent) {
            onResponseComplete();
        } else if (!ctx.channel().isWritable() && upstream != null) {
            upstream.config().setAutoRead(false);
        }
    }

    private void onResponseComplete() {
        responseComplete = true;
        awaitingResponse = false;
        if (cacheFill != null) {
            cacheFill.store();
            cacheFill = null;
        }
        if (!requestComplete) {
            // The backend answered before the whole body arrived: the rest of the body cannot be
            // delivered anywhere, so neither connection can be reused.
            discardingBody = true;
            upstreamReusable = false;
            responseKeepAlive = false;
        }
        finishExchange();
    }

    @Override
    public void onUpstreamReadComplete() {
        lastUpstreamActivity = System.nanoTime();
        ctx.flush();
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable) {
            resume(PAUSE_UPSTREAM_FULL);
        } else {
            pause(PAUSE_UPSTREAM_FULL);
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (upstream == null) {
            return;
        }
        if (cause != null) {
            LOG.debug("backend connection to {} failed", backend, cause);
        }
        Channel up = upstream;
        upstream = null;
        up.close();
        upstreamFailed(ProxyFailure.RESET_BEFORE_RESPONSE);
    }

    private void upstreamFailed(ProxyFailure failure) {
        upstreamReusable = false;
        if (responseStarted) {
            abortExchange();
        } else {
            fail(failure);
        }
    }

    // ---- timers -----------------------------------------------------------------------------

    /**
     * Starts waiting for the backend once the whole request is sent. One timer per connection at
     * most: a tick that finds recent backend activity reschedules itself for the remainder
     * instead of being cancelled and re-created for every request.
     */
    private void armResponseTimer() {
        awaitingResponse = true;
        lastUpstreamActivity = System.nanoTime();
        if (responseTimer == null) {
            responseTimer = ctx.executor().schedule(responseTimerTick, shared.responseTimeoutNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    private void onResponseTimerTick() {
        responseTimer = null;
        if (!awaitingResponse || request == null || closing) {
            return;
        }
        if (upstream != null && !upstream.config().isAutoRead()) {
            // The backend is quiet because the client is slow and we paused it: not its fault.
            lastUpstreamActivity = System.nanoTime();
        }
        long quiet = System.nanoTime() - lastUpstreamActivity;
        long timeout = shared.responseTimeoutNanos();
        if (quiet < timeout) {
            responseTimer = ctx.executor().schedule(responseTimerTick, timeout - quiet, TimeUnit.NANOSECONDS);
            return;
        }
        awaitingResponse = false;
        upstreamFailed(ProxyFailure.RESPONSE_TIMEOUT);
    }

    // ---- ending an exchange -----------------------------------------------------------------

    /** Answers with the failure's status, or closes the connection if the response started. */
    private void fail(ProxyFailure failure) {
        if (responseStarted) {
            abortExchange();
            return;
        }
        if (failure.retryReason() != null && backend != null) {
            backendFailed(failure);
            if (retry(failure.retryReason())) {
                return;
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} -> {} ({})", method, uri, failure.statusCode(), failure.tag());
        }
        FullHttpResponse stale = cacheLookup == null ? null : cacheLookup.staleOnError();
        if (stale != null) {
            cacheServed = ResponseCache.Result.STALE;
        }
        respondLocally(stale != null ? stale : failure.newResponse(true));
    }

    /** Answers without (or no longer with) a backend: a failure's status, or a cache hit. */
    private void respondLocally(FullHttpResponse response) {
        if (upstream != null) {
            Channel up = upstream;
            upstream = null;
            shared.connector().discard(up);
        }
        releaseAwaiting();
        responseStarted = true;
        responseComplete = true;
        awaitingResponse = false;
        discardingBody = true;
        status = response.status().code();
        bodyBytes = response.content().readableBytes();
        responseKeepAlive = requestKeepAlive && !closeAfterExchange && !closing && (requestComplete || !requestHasBody);
        if (!responseKeepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.writeAndFlush(response);
        // A bodyless request's end is about to be read; a body we will not read ends the connection.
        if (requestComplete || !responseKeepAlive) {
            finishExchange();
        }
    }

    private void finishExchange() {
        boolean keepAlive = responseKeepAlive && !closeAfterExchange && !closing;
        endExchange(upstreamReusable && requestComplete && responseComplete);
        if (!keepAlive) {
            closing = true;
            releaseQueued();
            LingeringClose.afterWrite(ctx.writeAndFlush(Unpooled.EMPTY_BUFFER));
            return;
        }
        // The backend connection may be back in its pool already, so its read-complete will not
        // reach us: flush the end of this response now.
        ctx.flush();
        drainPipelined();
    }

    /** Gives up on an exchange whose response already started: the client connection closes. */
    private void abortExchange() {
        closing = true;
        endExchange(false);
        releaseQueued();
        ctx.close();
    }

    /** Returns or drops the backend connection, logs, and clears the exchange. */
    private void endExchange(boolean reuseUpstream) {
        awaitingResponse = false;
        skippingInformational = false;
        Channel up = upstream;
        upstream = null;
        upstreamNeedsFlush = false;
        if (up != null) {
            if (reuseUpstream) {
                shared.connector().release(backend, up);
            } else {
                shared.connector().discard(up);
            }
        }
        releaseAwaiting();
        if (backend != null) {
            backend.requestFinished();
        }
        if (holdsRetryToken) {
            holdsRetryToken = false;
            pool.retryBudget().release();
        }
        long endNanos = System.nanoTime();
        long durationNanos = endNanos - startNanos;
        idleSinceNanos = endNanos;
        TrafficMetrics metrics = shared.metrics();
        if (metrics != null) {
            metrics.record(route, pool, backend, status, durationNanos);
            if (cacheLookup != null) {
                metrics.cacheResult(cacheServed != null ? cacheServed : cacheLookup.result());
            }
        }
        if (AccessLog.enabled()) {
            AccessLog.log(clientIp(), method.name(), uri, status, bodyBytes, durationNanos,
                    route == null ? "-" : route.name(), pool == null ? "-" : pool.name(),
                    backend == null ? "-" : backend.id(), requestId);
        }
        request = null;
        route = null;
        pool = null;
        backend = null;
        if (cacheLookup != null) {
            cacheLookup.land();
        }
        cacheLookup = null;
        cacheFill = null;
        cacheServed = null;
        swallowingUpstreamBody = false;
        waitingForFlight = false;
        resume(PAUSE_CONNECTING | PAUSE_UPSTREAM_FULL);
    }

    private void rejectMalformed(Throwable cause) {
        ProxyFailure failure = ProxyFailure.BAD_REQUEST;
        if (cause instanceof TooLongHttpLineException) {
            failure = ProxyFailure.URI_TOO_LONG;
        } else if (cause instanceof TooLongHttpHeaderException) {
            failure = ProxyFailure.HEADERS_TOO_LARGE;
        } else if (!(cause instanceof TooLongFrameException)) {
            LOG.debug("malformed request from {}: {}", clientIp(), String.valueOf(cause));
        }
        closing = true;
        releaseQueued();
        LingeringClose.afterWrite(ctx.writeAndFlush(failure.newResponse(false)));
        countRejected(failure);
    }

    /** Counts and logs a request refused before it had a route. */
    private void countRejected(ProxyFailure failure) {
        if (shared.metrics() != null) {
            shared.metrics().record(null, null, null, failure.statusCode(), 0);
        }
        if (AccessLog.enabled()) {
            AccessLog.log(clientIp(), "-", "-", failure.statusCode(), 0, 0, "-", "-", "-", "-");
        }
    }

    private void drainPipelined() {
        if (drainingPipeline) {
            return;
        }
        drainingPipeline = true;
        try {
            Object next;
            while (!closing && (next = pipelined.peek()) != null) {
                if (next instanceof HttpRequest && request != null) {
                    break;
                }
                dispatch(pipelined.poll());
            }
        } finally {
            drainingPipeline = false;
        }
        // The client's reads are paused, so no read-complete will flush what was just relayed.
        if (upstreamNeedsFlush && upstream != null) {
            upstreamNeedsFlush = false;
            upstream.flush();
        }
        if (pipelined.isEmpty()) {
            resume(PAUSE_PIPELINED);
        }
    }

    // ---- small helpers ----------------------------------------------------------------------

    /** No Transfer-Encoding, or exactly one that is {@code chunked}: the only coding spoken here. */
    private static boolean onlyChunked(HttpHeaders headers) {
        String coding = headers.get(HttpHeaderNames.TRANSFER_ENCODING);
        return coding == null || (HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(coding.trim())
                && headers.getAll(HttpHeaderNames.TRANSFER_ENCODING).size() == 1);
    }

    private void pause(int reason) {
        if (pausedBy == 0) {
            ctx.channel().config().setAutoRead(false);
        }
        pausedBy |= reason;
    }

    private void resume(int reasons) {
        if ((pausedBy & reasons) == 0) {
            return;
        }
        pausedBy &= ~reasons;
        if (pausedBy == 0 && !closing) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void releaseAwaiting() {
        HttpObject queued;
        while ((queued = awaitingConnect.poll()) != null) {
            ReferenceCountUtil.release(queued);
        }
    }

    private void releaseQueued() {
        Object queued;
        while ((queued = pipelined.poll()) != null) {
            ReferenceCountUtil.release(queued);
        }
    }

    private String clientIp() {
        if (clientIp == null) {
            clientIp = ctx.channel().remoteAddress() instanceof InetSocketAddress a
                    ? a.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
        }
        return clientIp;
    }
}
