package dev.turnout.proxy.exchange;

import dev.turnout.proxy.config.ResilienceConfig;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.pool.RetryReason;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.upstream.UpstreamException;
import dev.turnout.proxy.upstream.UpstreamListener;
import dev.turnout.proxy.upstream.UpstreamStream;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend side of an exchange: which backend, over which connection, and the tries after the
 * first. One per client connection, serving its exchanges in turn, on its event loop; the
 * backend connection is leased from (or opened on) that same loop.
 *
 * <p>What reaches the backend is decided here: a drain-safe pick ({@link #countIn}), the
 * per-backend connection cap ({@link #roomForConnection}), the response timer, and the retry
 * rules ({@link #retry}).
 */
final class Attempt implements UpstreamListener {

    private static final Logger LOG = LoggerFactory.getLogger(Attempt.class);
    /**
     * How soon after a request goes out on a pooled connection a close means the connection was
     * already closed when it was taken. Longer than an event loop's batch of ready events on a
     * busy core, shorter than it takes an application to read a request and fail on it.
     */
    private static final long FOUND_CLOSED_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Exchange exchange;
    private final FrontendShared shared;
    private final Downstream downstream;
    private final EventLoop loop;
    // The request (and the body that arrived so far) until a connection takes it.
    // Made when first needed (a new backend connection): an idle client connection holds none.
    private ArrayDeque<HttpObject> awaitingConnect;
    // The backends this exchange was sent to, so that a retry goes to one not tried yet.
    private final Backend[] tried = new Backend[ResilienceConfig.MAX_RETRIES + 1];
    private final Runnable responseTimerTick = this::onResponseTimerTick;
    private final RequestReplay replay = new RequestReplay();
    // One timer per connection at most, rescheduled rather than re-created for every request.
    private ScheduledFuture<?> responseTimer;

    private Backend backend;
    private UpstreamStream upstream;
    private boolean reusable;
    private boolean wasPooled;
    // When the request went out on a pooled connection: a close soon after means it was found closed.
    private long writtenAtNanos;
    // Nothing of the request was written to the current backend yet.
    private boolean requestUnsent;
    private boolean retriedOnFreshConnection;
    private int retries;
    private int attempts;
    private boolean holdsRetryToken;
    private boolean needsFlush;
    private boolean awaitingResponse;
    private long lastUpstreamActivity;

    Attempt(Exchange exchange, FrontendShared shared, Downstream downstream, EventLoop loop) {
        this.exchange = exchange;
        this.shared = shared;
        this.downstream = downstream;
        this.loop = loop;
    }

    /**
     * Counts a request in flight on {@code b}, then checks that {@code b} is still in rotation. A
     * drain publishes its snapshot and then reads the in-flight count; here the count is raised
     * and then the snapshot read again. So if a drain raced the pick, either the drain sees the
     * request and waits for it, or this sees the new snapshot and the request goes elsewhere: a
     * drained backend never gets a request.
     *
     * @param pickedFrom the snapshot {@code b} was picked from, or null: then it must be in rotation now
     * @return false, with nothing counted, when the request must not go to {@code b}
     */
    static boolean countIn(Backend b, RoutingState routing, RouteTable pickedFrom) {
        b.requestStarted();
        RouteTable now = routing.current();
        if (now == pickedFrom || now.inRotation(b)) {
            return true;
        }
        b.requestFinished();
        return false;
    }

    /**
     * Whether a request may go to {@code b} over a connection not open yet: the per-backend cap,
     * decided here for every caller. Joining an HTTP/2 connection being opened needs no room.
     */
    static boolean roomForConnection(FrontendShared shared, Pool pool, Backend b) {
        return pool.resilience().roomFor(b.openConnections(), b.pendingConnects())
                || (pool.transport().http2() && shared.connector().joinsPendingConnection(pool, b));
    }

    /** A new exchange begins: no backend tried yet. */
    void reset() {
        reusable = false;
        retriedOnFreshConnection = false;
        retries = 0;
        attempts = 0;
    }

    Backend backend() {
        return backend;
    }

    /** The backend connection cannot serve another exchange after this one. */
    void notReusable() {
        reusable = false;
    }

    void reusableIf(boolean keepAlive) {
        reusable &= keepAlive;
    }

    boolean reusable() {
        return reusable;
    }

    /**
     * Picks a backend of the exchange's pool and counts the request in flight on it. When a drain
     * raced the pick, the request is routed again on the new snapshot.
     *
     * @return the backend, or null when the pool has none in rotation
     */
    Backend pick(RouteTable table) {
        while (true) {
            Pool pool = exchange.pool;
            Backend picked = pool == null ? null : pool.pick();
            if (picked == null) {
                return null;
            }
            if (countIn(picked, shared.routing(), table)) {
                backend = picked;
                tried[0] = picked;
                attempts = 1;
                return picked;
            }
            table = shared.routing().current();
            exchange.reroute(table);
        }
    }

    /**
     * Sends the prepared request to the picked backend, over an idle connection or a new one
     * within the cap; a backend at its cap hands the request to another with room.
     *
     * @param resumed the request waited for another fetch: parts of it that arrived meanwhile are
     *                queued behind it, and nothing else will flush them
     */
    void send(HttpRequest head, boolean resumed) {
        UpstreamStream pooled = shared.connector().leaseIdle(exchange.pool, backend, this);
        if (pooled == null && !roomForConnection(shared, exchange.pool, backend)) {
            pooled = moveToBackendWithRoom();
            if (pooled == null && !roomForConnection(shared, exchange.pool, backend)) {
                exchange.fail(ProxyFailure.BACKEND_AT_CAPACITY);
                return;
            }
        }
        awaitingConnect().addFirst(head);
        requestUnsent = true;
        if (pooled == null) {
            connect();
            return;
        }
        attach(pooled, true);
        writtenAtNanos = exchange.startNanos(); // it goes out now: its arrival stands in, one clock read fewer
        writeQueued(pooled);
        needsFlush = true;
        if (resumed) {
            needsFlush = false;
            pooled.flush();
            if (exchange.requestComplete) {
                armResponseTimer();
            }
        }
    }

    /**
     * The picked backend is at its connection limit with no idle connection: rather than queue,
     * the request moves to another backend in rotation that has an idle connection (returned) or
     * room for a new one (null returned, {@code backend} switched). Nothing was sent yet, so
     * moving is always safe. If none has either, {@code backend} stays as it was.
     */
    private UpstreamStream moveToBackendWithRoom() {
        Pool pool = exchange.pool;
        for (int i = 0; i < pool.members().size(); i++) {
            Backend other = pool.pickOtherThan(backend);
            if (other == null) {
                return null;
            }
            UpstreamStream idle = shared.connector().leaseIdle(pool, other, this);
            if (idle != null || roomForConnection(shared, pool, other)) {
                backend.requestFinished();
                backend = other;
                tried[attempts - 1] = other;
                other.requestStarted();
                return idle;
            }
        }
        return null;
    }

    /** A part of the request body: to the backend, or queued until a connection takes it. */
    void forward(HttpContent content) {
        if (upstream != null) {
            replay.sending(content);
            upstream.write(content);
            needsFlush = true;
            if (!upstream.isWritable()) {
                downstream.pause(Downstream.UPSTREAM_FULL);
            }
        } else {
            awaitingConnect().add(content);
        }
    }

    /** The whole request was relayed: the backend's answer is due. */
    void requestSent() {
        if (upstream != null && !exchange.responseStarted) {
            armResponseTimer();
        }
    }

    /** Sends what was relayed since the last flush. */
    void flush() {
        if (needsFlush && upstream != null) {
            needsFlush = false;
            upstream.flush();
        }
    }

    /** Client back-pressure: stop or restart reading the backend's answer. */
    void pauseReading(boolean paused) {
        if (upstream != null) {
            upstream.pauseReading(paused);
        }
    }

    /** The backend counts one more failure; a refused connection ejects it at once; a refused stream is no failure. */
    void backendFailed(ProxyFailure failure) {
        if (failure == ProxyFailure.STREAM_REFUSED) {
            return; // shedding load or going away in good order (GOAWAY): not the backend failing
        }
        Pool pool = exchange.pool;
        shared.ejector().onFailure(backend, pool, backend.recordFailure());
        if (failure == ProxyFailure.CONNECT_REFUSED) {
            shared.ejector().onRefused(backend, pool);
        }
    }

    void backendAnswered(int status) {
        if (ResponsePolicy.isBackendFailure(status)) {
            backendFailed(ProxyFailure.BAD_RESPONSE);
        } else {
            backend.recordSuccess();
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
     * streamed and not kept. Such a retry adds load to the pool, so it spends the retry budget,
     * unless the pooled connection was {@linkplain #foundClosed found closed}.
     * A pooled keep-alive connection closed as it was reused, with no other backend to go to, is
     * tried once on a fresh connection to the same one.
     * </ul>
     */
    boolean retry(RetryReason reason) {
        if (reason == RetryReason.REFUSED_STREAM && !requestUnsent && !downstream.closing()
                && replay.requeue(awaitingConnect(), exchange.request)) {
            requestUnsent = true; // not acted on, and all of it is queued again: as if never sent
        }
        boolean sent = !requestUnsent;
        if (downstream.closing()
                || (sent && (!exchange.requestComplete || exchange.requestHasBody || !exchange.route.retries(exchange.method)))) {
            return false;
        }
        Pool pool = exchange.pool;
        Pool current = shared.routing().current().pools().getOrDefault(pool.name(), pool);
        Backend next = retries < pool.resilience().retries() ? current.pickExcluding(tried, attempts) : null;
        if (next == null) {
            return (sent || reason == RetryReason.REFUSED_STREAM) && retryOnFreshConnection(reason, sent);
        }
        if (sent && !holdsRetryToken && !foundClosed(reason)) {
            if (!current.tryAcquireRetry()) {
                return false;
            }
            holdsRetryToken = true;
        }
        if (!countIn(next, shared.routing(), null)) {
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
     * A pooled connection that closed within {@link #FOUND_CLOSED_NANOS} of the request going out
     * on it was closed before it was taken: its close (the backend's idle timeout, or the backend
     * dying, with the event not yet read) was already on its way, so the request never reached a
     * live backend and its retry adds no load to the pool.
     */
    private boolean foundClosed(RetryReason reason) {
        return reason == RetryReason.CLOSED_BEFORE_ANSWER && wasPooled
                && System.nanoTime() - writtenAtNanos < FOUND_CLOSED_NANOS;
    }

    /**
     * The backend closed a pooled connection as it was reused (or refused an HTTP/2 stream unprocessed,
     * a GOAWAY as it restarts), and no other backend may take the request: once more, on a fresh
     * connection (as nginx does), outside {@code retries}.
     */
    private boolean retryOnFreshConnection(RetryReason reason, boolean sent) {
        if ((!wasPooled && reason != RetryReason.REFUSED_STREAM) || retriedOnFreshConnection) {
            return false;
        }
        retriedOnFreshConnection = true;
        exchange.pool.retryBudget().retried(reason);
        sendAgain(sent);
        return true;
    }

    /**
     * Starts the next try on {@code backend}. A request that was sent is bodiless and is queued
     * again; one that was not is still queued, with whatever of its body arrived.
     */
    private void sendAgain(boolean sent) {
        drop();
        awaitingResponse = false;
        if (sent) {
            releaseAwaiting();
            awaitingConnect().add(exchange.request);
            awaitingConnect().add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        requestUnsent = true;
        UpstreamStream pooled = shared.connector().leaseIdle(exchange.pool, backend, this);
        if (pooled == null) {
            if (roomForConnection(shared, exchange.pool, backend)) {
                connect();
            } else {
                exchange.fail(ProxyFailure.BACKEND_AT_CAPACITY);
            }
            return;
        }
        attach(pooled, true);
        writtenAtNanos = System.nanoTime();
        writeQueued(pooled);
        pooled.flush();
        downstream.resume(Downstream.CONNECTING);
        if (exchange.requestComplete) {
            armResponseTimer();
        }
    }

    private void connect() {
        downstream.pause(Downstream.CONNECTING);
        int id = exchange.id;
        Future<UpstreamStream> connecting = shared.connector().connect(exchange.pool, backend, loop);
        connecting.addListener(f -> onConnected(id, connecting));
    }

    private void onConnected(int id, Future<UpstreamStream> future) {
        if (id != exchange.id || exchange.request == null || exchange.responseStarted) {
            if (future.isSuccess()) {
                shared.connector().discard(future.getNow());
            }
            return;
        }
        if (!future.isSuccess()) {
            exchange.fail(ProxyFailure.connectFailure(future.cause()));
            return;
        }
        UpstreamStream stream = future.getNow();
        if (!stream.isActive()) {
            exchange.fail(ProxyFailure.RESET_BEFORE_RESPONSE); // nothing was written: still unsent
            return;
        }
        shared.connector().bind(stream, this);
        attach(stream, false);
        writeQueued(stream);
        stream.flush();
        downstream.resume(Downstream.CONNECTING);
        if (!stream.isWritable()) {
            downstream.pause(Downstream.UPSTREAM_FULL);
        }
        if (exchange.requestComplete) {
            armResponseTimer();
        }
    }

    private void attach(UpstreamStream stream, boolean pooled) {
        upstream = stream;
        requestUnsent = false; // what is queued is written to it right after
        reusable = true;
        wasPooled = pooled;
        replay.start(exchange.pool.transport().http2());
    }

    private void writeQueued(UpstreamStream stream) {
        HttpObject queued;
        while (awaitingConnect != null && (queued = awaitingConnect.poll()) != null) {
            replay.sending(queued);
            stream.write(queued);
        }
    }

    /** Drops the backend connection (if any) and whatever of the request still waits for one. */
    void abandon() {
        drop();
        releaseAwaiting();
        replay.release();
    }

    private void drop() {
        if (upstream != null) {
            UpstreamStream up = upstream;
            upstream = null;
            shared.connector().discard(up);
        }
    }

    /**
     * The exchange ends: the connection goes back to its pool when {@code reuse}, the request
     * stops counting on its backend and any retry token is returned. {@link #backend} still
     * names the backend until {@link #forget}.
     */
    void end(boolean reuse) {
        awaitingResponse = false;
        UpstreamStream up = upstream;
        upstream = null;
        needsFlush = false;
        if (up != null) {
            if (reuse) {
                shared.connector().release(backend, up);
            } else {
                shared.connector().discard(up);
            }
        }
        releaseAwaiting();
        replay.release();
        if (backend != null) {
            backend.requestFinished();
        }
        releaseRetryToken();
    }

    void forget() {
        backend = null;
    }

    /**
     * The client connection is gone: the response timer, left armed between requests so that a
     * keep-alive connection does not re-create it each time, goes too. Else the event loop's queue
     * would hold the closed connection (exchange, pipeline, TLS engine) until the timer ran out.
     */
    void connectionClosed() {
        awaitingResponse = false;
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }

    /**
     * Hands the connection over to a WebSocket tunnel, which from now on holds the request in
     * flight on the backend; the attempt lets go of both.
     */
    UpstreamStream detachForTunnel() {
        awaitingResponse = false;
        UpstreamStream up = upstream;
        upstream = null;
        backend = null;
        releaseRetryToken();
        return up;
    }

    private void releaseRetryToken() {
        if (holdsRetryToken) {
            holdsRetryToken = false;
            exchange.pool.retryBudget().release();
        }
    }

    private void releaseAwaiting() {
        HttpObject queued;
        while (awaitingConnect != null && (queued = awaitingConnect.poll()) != null) {
            ReferenceCountUtil.release(queued);
        }
    }

    // ---- the backend's answer ---------------------------------------------------------------

    @Override
    public void onUpstreamMessage(Object msg) {
        exchange.onResponseMessage(msg);
    }

    /** The answer ended: no more waiting for it. */
    void answered() {
        awaitingResponse = false;
    }

    /** The final answer began: the request will not be sent again. */
    void answerStarted() {
        replay.release();
    }

    @Override
    public void onUpstreamReadComplete() {
        lastUpstreamActivity = System.nanoTime();
        downstream.flush();
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable) {
            downstream.resume(Downstream.UPSTREAM_FULL);
        } else {
            downstream.pause(Downstream.UPSTREAM_FULL);
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
        drop();
        ProxyFailure failure;
        if (cause instanceof CorruptedFrameException) {
            failure = ProxyFailure.BAD_RESPONSE; // it answered, with bytes that are no answer: not a close to retry
        } else if (cause instanceof UpstreamException refused && refused.kind() == UpstreamException.Kind.STREAM_REFUSED) {
            failure = ProxyFailure.STREAM_REFUSED;
        } else {
            failure = ProxyFailure.RESET_BEFORE_RESPONSE;
        }
        exchange.upstreamFailed(failure);
    }

    @Override
    public void onUpstreamSendFailed() {
        notReusable();
        // The rest of the body goes nowhere now: read it from the client at full speed and drop it.
        exchange.discardingBody = true;
        downstream.resume(Downstream.UPSTREAM_FULL);
        if (!exchange.responseStarted) {
            armResponseTimer();
        }
    }

    // ---- the response timer -----------------------------------------------------------------

    /**
     * Starts waiting for the backend once the whole request is sent. A tick that finds recent
     * backend activity reschedules itself for the remainder instead of being cancelled and
     * re-created for every request.
     */
    private void armResponseTimer() {
        if (exchange.hasCallDeadline()) {
            return; // the call's own deadline bounds it
        }
        awaitingResponse = true;
        lastUpstreamActivity = System.nanoTime();
        if (responseTimer == null) {
            responseTimer = loop.schedule(responseTimerTick, exchange.responseTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void onResponseTimerTick() {
        responseTimer = null;
        if (!awaitingResponse || exchange.request == null || downstream.closing()) {
            return;
        }
        if (upstream != null && upstream.readingPaused()) {
            // The backend is quiet because the client is slow and we paused it: not its fault.
            lastUpstreamActivity = System.nanoTime();
        }
        long quiet = System.nanoTime() - lastUpstreamActivity;
        long timeout = exchange.responseTimeoutNanos;
        if (quiet < timeout) {
            responseTimer = loop.schedule(responseTimerTick, timeout - quiet, TimeUnit.NANOSECONDS);
            return;
        }
        awaitingResponse = false;
        exchange.upstreamFailed(ProxyFailure.RESPONSE_TIMEOUT);
    }

    private ArrayDeque<HttpObject> awaitingConnect() {
        if (awaitingConnect == null) {
            awaitingConnect = new ArrayDeque<>(2);
        }
        return awaitingConnect;
    }
}
