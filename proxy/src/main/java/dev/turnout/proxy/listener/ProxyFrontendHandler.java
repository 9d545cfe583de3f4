package dev.turnout.proxy.listener;

import dev.turnout.proxy.exchange.Downstream;
import dev.turnout.proxy.exchange.Exchange;
import dev.turnout.proxy.exchange.FrontendShared;
import dev.turnout.proxy.exchange.ProxyFailure;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.pool.Pool;
import dev.turnout.proxy.route.Route;
import dev.turnout.proxy.transport.IdleTimeout;
import dev.turnout.proxy.transport.PipelineNames;
import dev.turnout.proxy.upstream.UpstreamStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/1.1 client connection: it owns the socket,
 * pipelining and back-pressure, and runs one {@link Exchange} at a time, as that exchange's
 * {@link Downstream}.
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
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter implements Downstream {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyFrontendHandler.class);

    // Why the client's reads pause besides Downstream's reasons; reading resumes when none is left.
    private static final int PAUSE_PIPELINED = 4;
    /**
     * Once shutdown began, how long a keep-alive connection must have been idle before it is
     * closed without an answer that says so; a busier client gets its next answer with
     * "Connection: close" instead, and never has to send a request again.
     */
    private static final long SHUTDOWN_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final FrontendShared shared;
    private final boolean secure;
    private final TrustedProxies trustedProxies;
    // How this connection is parked when quiet between requests; null when it cannot be.
    private final ParkedConnections.Parking parking;
    // Made when a client first pipelines: an idle connection holds none.
    private ArrayDeque<Object> pipelined;

    private ChannelHandlerContext ctx;
    private Exchange exchange;
    private ClientReadTimeout readTimeout;
    private ClientAddress client;
    private int pausedBy;
    private boolean drainingPipeline;
    // Shutting down, or the client misbehaved: no keep-alive after the exchange in progress.
    private boolean closeAfterExchange;
    private boolean closing;
    // When the last exchange ended (or the connection opened).
    private long idleSinceNanos;

    /**
     * @param secure         the client connected over TLS
     * @param trustedProxies the peers whose X-Forwarded-For names the client
     * @param parking        how the connection is parked between requests, or null
     */
    ProxyFrontendHandler(FrontendShared shared, boolean secure, TrustedProxies trustedProxies,
            ParkedConnections.Parking parking) {
        this.shared = shared;
        this.secure = secure;
        this.trustedProxies = trustedProxies;
        this.parking = parking;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.exchange = new Exchange(shared, this, ctx.channel().eventLoop(), secure);
        this.client = new ClientAddress(ctx.channel(), trustedProxies);
        this.idleSinceNanos = System.nanoTime();
        this.readTimeout = ctx.pipeline().get(ClientReadTimeout.class);
    }

    // ---- reading requests -------------------------------------------------------------------

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
        if ((pipelined != null && !pipelined.isEmpty()) || (msg instanceof HttpRequest && exchange.running())) {
            if (pipelined == null) {
                pipelined = new ArrayDeque<>(2);
            }
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
            exchange.begin(head);
        }
        if (msg instanceof HttpContent content) {
            exchange.onRequestContent(content);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        exchange.flushUpstream();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            exchange.clientWritable();
        }
    }

    private void drainPipelined() {
        if (drainingPipeline) {
            return;
        }
        drainingPipeline = true;
        try {
            Object next;
            while (!closing && pipelined != null && (next = pipelined.peek()) != null) {
                if (next instanceof HttpRequest && exchange.running()) {
                    break;
                }
                dispatch(pipelined.poll());
            }
        } finally {
            drainingPipeline = false;
        }
        // The client's reads are paused, so no read-complete will flush what was just relayed.
        exchange.flushUpstream();
        if (pipelined == null || pipelined.isEmpty()) {
            resume(PAUSE_PIPELINED);
        }
    }

    // ---- connection events ------------------------------------------------------------------

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ClientReadTimeout.EXPIRED) {
            onClientTooSlow();
        } else if (evt instanceof Http1RequestDecoder.Malformed malformed) {
            onMalformedHead(malformed.status());
        } else if (evt instanceof IdleStateEvent) {
            onClientIdle();
        } else if (evt instanceof IdleTimeout.Quiet quiet) {
            if (parking != null && betweenRequests()) {
                // Once parked, the backend response timer, left armed between requests, lets go of the exchange.
                parking.park(ctx.channel(), quiet.idleLeftNanos(), this::betweenRequests, exchange::clientClosed);
            }
        } else if (evt == ShutdownRequested.INSTANCE) {
            closeAfterExchange = true;
            if (!exchange.running()) {
                // Not at once: a request may be on its way on this idle connection, and closing
                // under it fails it with no answer.
                closeIfStillIdle();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** Whether the connection can be parked: no exchange, nothing of a request read or queued, nothing paused. */
    private boolean betweenRequests() {
        return !exchange.running() && !closing && !closeAfterExchange && pausedBy == 0
                && (pipelined == null || pipelined.isEmpty()) && readTimeout instanceof Http1RequestDecoder decoder
                && decoder.betweenRequests();
    }

    /**
     * Closes a connection that has been idle for {@link #SHUTDOWN_IDLE_NANOS} during shutdown;
     * one that sends a request first is answered with "Connection: close" and closed after it.
     */
    private void closeIfStillIdle() {
        if (exchange.running() || closing) {
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

    /** A request head was refused before it was decoded (syntax, size or framing); nothing more is read. */
    private void onMalformedHead(int status) {
        if (closing) {
            return; // the connection is closing after an answer already given
        }
        if (exchange.running()) {
            closeAfterExchange = true; // the exchange in progress finishes; the bad request gets no answer of its own
            return;
        }
        closing = true;
        releaseQueued();
        readTimeout.rejectMalformedHead(status);
        countRejected(switch (status) {
            case 414 -> ProxyFailure.URI_TOO_LONG;
            case 431 -> ProxyFailure.HEADERS_TOO_LARGE;
            case 505 -> ProxyFailure.VERSION_NOT_SUPPORTED;
            default -> ProxyFailure.BAD_REQUEST;
        });
    }

    /** Counts and logs a request refused before it had a route. */
    private void countRejected(ProxyFailure failure) {
        if (shared.metrics() != null) {
            shared.metrics().record(null, null, null, failure.statusCode(), 0);
        }
        shared.accessLog().log(clientIp(), "-", "-", failure.statusCode(), 0, 0, "-", "-", "-", "-");
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
        if (exchange.running() && !exchange.requestComplete()) {
            if (exchange.responseStarted()) {
                exchange.abort();
            } else {
                exchange.requestTimedOut(ProxyFailure.CLIENT_TIMEOUT);
            }
        } else if (exchange.running()) {
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
        if (!exchange.running()) {
            closing = true;
            ctx.close();
        } else if (!exchange.requestComplete()) {
            // Nothing moved on the client connection for the idle timeout while the request body
            // was due: either the backend stopped reading it or the client stopped sending it.
            exchange.fail((pausedBy & UPSTREAM_FULL) != 0 ? ProxyFailure.RESPONSE_TIMEOUT : ProxyFailure.CLIENT_TIMEOUT);
        } else if (exchange.responseStarted() && !ctx.channel().isWritable()) {
            // The client stopped reading its response.
            exchange.abort();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        exchange.clientClosed();
        releaseQueued();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client connection {} failed", ctx.channel(), cause);
        closing = true;
        ctx.close();
    }

    // ---- Downstream -------------------------------------------------------------------------

    @Override
    public void head(HttpResponse head) {
        // The void promise spares a promise per write (and the encoder a combiner); a failed write
        // reaches exceptionCaught, which closes the connection, as its close would anyway.
        ctx.write(head, ctx.voidPromise());
    }

    @Override
    public void body(HttpContent content) {
        ctx.write(content, ctx.voidPromise());
    }

    @Override
    public void answer(FullHttpResponse response) {
        // As head(): without a promise the encoder's head and body go out without a combiner (each cache hit).
        ctx.writeAndFlush(response, ctx.voidPromise());
    }

    /** The interim answer is a head of its own. */
    @Override
    public void interim(FullHttpResponse interim) {
        ctx.writeAndFlush(interim);
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void end(boolean keepAlive) {
        if (!keepAlive) {
            closing = true;
            // As nginx's lingering_close: linger only where the client may still be sending.
            boolean mayStillSend = !exchange.clientSendsNoMore() || (pipelined != null && !pipelined.isEmpty())
                    || readTimeout == null || readTimeout.midRequest();
            releaseQueued();
            ChannelFuture written = ctx.writeAndFlush(Unpooled.EMPTY_BUFFER);
            if (mayStillSend) {
                LingeringClose.afterWrite(written);
            } else {
                written.addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        // The backend connection may be back in its pool already, so its read-complete will not
        // reach us: flush the end of this response now.
        ctx.flush();
        drainPipelined();
    }

    @Override
    public void reset() {
        closing = true;
        releaseQueued();
        ctx.close();
    }

    @Override
    public void pause(int reason) {
        if (pausedBy == 0) {
            ctx.channel().config().setAutoRead(false);
        }
        pausedBy |= reason;
    }

    @Override
    public void resume(int reasons) {
        if ((pausedBy & reasons) == 0) {
            return;
        }
        pausedBy &= ~reasons;
        if (pausedBy == 0 && !closing) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void readNoMore() {
        closing = true;
    }

    @Override
    public boolean closing() {
        return closing;
    }

    @Override
    public boolean mayKeepAlive() {
        return !closing && !closeAfterExchange;
    }

    @Override
    public String clientIp() {
        return client.ip();
    }

    @Override
    public boolean peerTrusted() {
        return client.peerTrusted();
    }

    @Override
    public String clientIp(HttpHeaders headers) {
        return client.ipOf(headers);
    }

    @Override
    public void ended(Exchange ended, long endNanos) {
        idleSinceNanos = endNanos;
        ended.logAccess(endNanos);
    }

    /**
     * Both connections leave HTTP for a byte tunnel. The exchange stays in flight on the backend
     * (a drain waits for it) until the tunnel closes; the backend connection is never pooled again.
     */
    @Override
    public void upgrade(Exchange upgraded, FullHttpResponse answer, UpstreamStream backendSide, Backend backend) {
        Channel up = backendSide.channel();
        Route route = upgraded.route();
        Pool pool = upgraded.pool();
        String uri = upgraded.uri();
        String requestId = upgraded.requestId();
        String clientAddress = upgraded.clientIp();
        long started = upgraded.startNanos();
        WebSocketTunnel[] self = new WebSocketTunnel[1];
        Runnable closer = () -> self[0].closeLater();
        WebSocketTunnel tunnel = new WebSocketTunnel(ctx.channel(), up, () -> {
            backend.tunnelClosed(closer);
            backend.requestFinished();
            long nanos = System.nanoTime() - started;
            if (shared.metrics() != null) {
                shared.metrics().record(route, pool, backend, 101, nanos);
            }
            shared.accessLog().log(clientAddress, "GET", uri, 101, 0, nanos, route.name(), pool.name(), backend.id(), requestId);
        });
        self[0] = tunnel;
        backend.tunnelOpened(closer);
        ctx.writeAndFlush(answer); // encoded now, before the HTTP codec leaves the pipeline
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addLast(PipelineNames.TUNNEL, tunnel.towardBackend());
        up.pipeline().addLast(PipelineNames.TUNNEL, tunnel.towardClient());
        // This handler leaves first, so that bytes the codecs still hold go straight to the tunnel.
        closing = true;
        releaseQueued();
        if (readTimeout != null) {
            readTimeout.stop();
        }
        pipeline.remove(this);
        for (String name : PipelineNames.CLIENT_HTTP) {
            if (pipeline.get(name) != null) {
                pipeline.remove(name);
            }
        }
        for (String name : PipelineNames.BACKEND_HTTP) {
            if (up.pipeline().get(name) != null) {
                up.pipeline().remove(name);
            }
        }
        pipeline.channel().config().setAutoRead(true);
        up.config().setAutoRead(true);
    }

    private void releaseQueued() {
        Object queued;
        while (pipelined != null && (queued = pipelined.poll()) != null) {
            ReferenceCountUtil.release(queued);
        }
    }
}
