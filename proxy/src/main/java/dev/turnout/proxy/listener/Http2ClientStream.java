package dev.turnout.proxy.listener;

import dev.turnout.proxy.compression.ResponseCompressor;
import dev.turnout.proxy.exchange.Downstream;
import dev.turnout.proxy.exchange.Exchange;
import dev.turnout.proxy.exchange.ProxyFailure;
import dev.turnout.proxy.pool.Backend;
import dev.turnout.proxy.upstream.UpstreamStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 stream of a client connection, as the {@link Downstream} of its exchange. The request
 * comes from the decoded frames (its fields read through {@link Http2RequestFields}, its body as the
 * DATA frames' own buffers); the answer goes out as HEADERS and DATA frames on the connection, flushed
 * with the rest of the connection's writes.
 *
 * <p>Per stream, as an HTTP/1.1 connection has them: back-pressure (the stream's receive window stays
 * shut while its backend cannot take more), the body read deadline (a body that stops for
 * {@code body-read} gets 408, or a reset once the answer started), the send deadline (a client that
 * keeps the stream's window shut for {@code idle} has the stream reset, the zero-window stall) and
 * compression (a compressor of its own when the client accepts a coding).
 */
final class Http2ClientStream implements Downstream {

    private final Http2ServerConnection connection;
    private final Http2ServerConnection.StreamSettings settings;
    private final Exchange exchange;
    private Http2Stream stream;
    private int id;
    // Counts the streams this object served: a task left from an earlier one knows it is late.
    private int generation;
    private final Ticker ticker;
    private final Runnable tick = this::onTick;
    private HttpRequest request;
    private EmbeddedChannel compressor;
    private ScheduledFuture<?> timer;
    private int pausedBy;
    // Body bytes taken while paused, given back to the client's window on resume.
    private int unconsumed;
    private boolean bodyDue;
    private long lastBodyRead;
    private long unwritableSince = -1;
    private boolean readNoMore;
    // The frame that ends the answer is written.
    private boolean answered;
    private boolean ended;
    private boolean closed;
    private boolean recycled;

    /**
     * One stream after another: the connection keeps the objects of ended streams for its next ones, so
     * that a stream costs no new exchange (nor its backend attempt and timer).
     */
    Http2ClientStream(Http2ServerConnection connection) {
        this.connection = connection;
        this.settings = connection.settings();
        ChannelHandlerContext ctx = connection.context();
        this.exchange = new Exchange(settings.shared(), this, ctx.channel().eventLoop(), settings.secure());
        this.ticker = ctx.executor() instanceof AbstractScheduledEventExecutor scheduler ? scheduler.ticker()
                : Ticker.systemTicker();
    }

    /** Serves {@code opened} from here on. */
    void open(Http2Stream opened) {
        stream = opened;
        id = opened.id();
        generation++;
        request = null;
        pausedBy = 0;
        unconsumed = 0;
        bodyDue = false;
        unwritableSince = -1;
        readNoMore = false;
        answered = false;
        ended = false;
        closed = false;
        recycled = false;
    }

    // ---- the request ------------------------------------------------------------------------

    void begin(Http2Headers headers, boolean endOfStream) {
        CharSequence method = headers.method();
        CharSequence path = headers.path();
        if (method == null || path == null) {
            connection.resetStream(id, Http2Error.PROTOCOL_ERROR); // RFC 9113 8.3.1: a malformed request
            return;
        }
        HttpHeaders fields = new Http2RequestFields(headers);
        if (!endOfStream && !fields.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            // A body of unknown length: chunked for a backend spoken to over HTTP/1.1.
            fields.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method.toString()), path.toString(), fields);
        if (!endOfStream) {
            bodyDue = true;
            lastBodyRead = ticker.nanoTime();
            arm(settings.bodyReadNanos());
        }
        exchange.begin(request);
        if (endOfStream) {
            exchange.onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        connection.relayedBody(this); // the head goes to the backend with the rest of this read
    }

    /** A DATA frame; returns the bytes given back to the client's window at once. */
    int data(ByteBuf data, int padding, boolean endOfStream) {
        int bytes = data.readableBytes();
        if (readNoMore || ended || closed) {
            return bytes + padding;
        }
        lastBodyRead = ticker.nanoTime();
        if (endOfStream) {
            bodyDue = false;
        }
        data.retain();
        exchange.onRequestContent(endOfStream ? new DefaultLastHttpContent(data) : new DefaultHttpContent(data));
        connection.relayedBody(this);
        if (pausedBy != 0) {
            unconsumed += bytes;
            return padding;
        }
        return bytes + padding;
    }

    /** Trailer fields end the request body. */
    void trailers(Http2Headers headers) {
        bodyDue = false;
        if (readNoMore || ended || closed) {
            return;
        }
        HttpHeaders trailers = new DefaultHttpHeaders();
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            trailers.add(field.getKey(), field.getValue());
        }
        exchange.onRequestContent(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers));
        connection.relayedBody(this);
    }

    void flushUpstream() {
        exchange.flushUpstream();
    }

    void writabilityChanged() {
        if (isWritable()) {
            unwritableSince = -1;
            exchange.clientWritable();
        } else if (unwritableSince < 0) {
            blocked();
        }
    }

    /** The stream closed: answered, reset by either side, or its connection gone. */
    void closed() {
        closed = true;
        stopTimer();
        if (compressor != null) {
            compressor.finishAndReleaseAll();
            compressor = null;
        }
        if (exchange.running() && answered) {
            // Closed by the flush of its own answer, inside a call of the exchange, which ends it; an
            // exchange still waiting for a body that will not come now is ended just after.
            int closedGeneration = generation;
            connection.context().executor().execute(() -> {
                if (generation == closedGeneration) {
                    if (exchange.running()) {
                        exchange.clientClosed();
                    }
                    recycleIfDone();
                }
            });
            return;
        }
        if (exchange.running()) {
            exchange.clientClosed();
        }
        recycleIfDone();
    }

    /** The connection is gone: the exchange lets go of the timers it keeps between streams. */
    void connectionClosed() {
        exchange.clientClosed();
    }

    /** Once the stream is closed and its exchange over, this object waits for the connection's next stream. */
    private void recycleIfDone() {
        if (closed && !recycled && !exchange.running()) {
            recycled = true;
            connection.recycle(this);
        }
    }

    // ---- deadlines --------------------------------------------------------------------------

    private void blocked() {
        unwritableSince = ticker.nanoTime();
        arm(settings.sendStallNanos());
    }

    private void arm(long delayNanos) {
        if (timer == null && !closed && !ended) {
            timer = connection.context().executor().schedule(tick, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void stopTimer() {
        bodyDue = false;
        unwritableSince = -1;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onTick() {
        timer = null;
        if (closed || ended) {
            return;
        }
        long now = ticker.nanoTime();
        long sendNanos = settings.sendStallNanos();
        if (unwritableSince >= 0 && now - unwritableSince >= sendNanos) {
            reset(Http2Error.CANCEL); // the client would not take the answer
            return;
        }
        long next = unwritableSince >= 0 ? sendNanos - (now - unwritableSince) : Long.MAX_VALUE;
        if (bodyDue) {
            long left = lastBodyRead + settings.bodyReadNanos() - now;
            if (left <= 0) {
                bodyTooSlow();
                return;
            }
            next = Math.min(next, left);
        }
        if (next != Long.MAX_VALUE) {
            arm(next);
        }
    }

    private void bodyTooSlow() {
        if (pausedBy != 0) {
            lastBodyRead = ticker.nanoTime(); // we stopped taking the body, not the client
            arm(settings.bodyReadNanos());
            return;
        }
        bodyDue = false;
        if (exchange.responseStarted()) {
            exchange.abort();
        } else {
            exchange.requestTimedOut(ProxyFailure.CLIENT_TIMEOUT);
        }
    }

    // ---- Downstream: the answer -----------------------------------------------------------------

    private Http2ConnectionEncoder encoder() {
        return connection.encoder();
    }

    private ChannelHandlerContext ctx() {
        return connection.context();
    }

    private static Http2Headers toHttp2(HttpResponse response) {
        Http2Headers headers = new DefaultHttp2Headers(false, response.headers().size() + 1);
        headers.status(response.status().codeAsText());
        HttpConversionUtil.toHttp2Headers(response.headers(), headers);
        return headers;
    }

    /**
     * Whether this answer goes through a compressor: compression is on and the client accepts a coding.
     * An answer the client gets uncompressed is still marked {@code Vary} when its form would depend on it.
     */
    private boolean compresses(HttpResponse head) {
        if (compressor != null) {
            return true;
        }
        if (settings.compressors() == null || request == null || head.status().code() < 200) {
            return false;
        }
        String accepted = request.headers().get(HttpHeaderNames.ACCEPT_ENCODING);
        ResponseCompressor marker = connection.varyMarker();
        if (accepted == null || marker.codingFor(accepted) == null || request.method().equals(HttpMethod.HEAD)) {
            int status = head.status().code();
            if (!request.method().equals(HttpMethod.HEAD) && status != 204 && status != 304) {
                marker.markVary(head);
            }
            return false;
        }
        compressor = new EmbeddedChannel(settings.compressors().get());
        compressor.writeInbound(request);
        compressor.readInbound();
        return true;
    }

    /** Writes what the compressor made of the answer so far. */
    private void writeCompressed(Object msg) {
        compressor.writeOutbound(msg);
        Object out;
        while ((out = compressor.readOutbound()) != null) {
            if (out instanceof FullHttpResponse whole) {
                writeWhole(whole);
            } else if (out instanceof HttpResponse head) {
                writeHead(head, false);
            } else if (out instanceof HttpContent content) {
                writeBody(content);
            }
        }
    }

    private void writeHead(HttpResponse head, boolean endOfStream) {
        if (closed) {
            return;
        }
        encoder().writeHeaders(ctx(), id, toHttp2(head), 0, endOfStream, endOfStream ? lastWrite() : ctx().voidPromise());
        if (!endOfStream && unwritableSince < 0 && !isWritable()) {
            blocked(); // a window shut from the stream's start never changes
        }
    }

    private void writeBody(HttpContent content) {
        if (closed) {
            content.release();
            return;
        }
        ByteBuf data = content.content();
        if (!(content instanceof LastHttpContent last)) {
            encoder().writeData(ctx(), id, data, 0, false, ctx().voidPromise());
            return;
        }
        HttpHeaders trailers = last.trailingHeaders();
        if (trailers.isEmpty()) {
            encoder().writeData(ctx(), id, data, 0, true, lastWrite());
        } else {
            if (data.isReadable()) {
                encoder().writeData(ctx(), id, data, 0, false, ctx().voidPromise());
            } else {
                data.release();
            }
            Http2Headers fields = new DefaultHttp2Headers(false, trailers.size());
            HttpConversionUtil.toHttp2Headers(trailers, fields);
            encoder().writeHeaders(ctx(), id, fields, 0, true, lastWrite());
        }
    }

    /**
     * The promise of the frame that ends the answer: no deadline is left, and a request body still
     * coming is not wanted, so once that frame is out, RST_STREAM NO_ERROR tells the client to stop
     * sending it (RFC 9113 8.1).
     */
    private ChannelPromise lastWrite() {
        answered = true;
        stopTimer();
        if (!stream.state().remoteSideOpen()) {
            return ctx().voidPromise();
        }
        readNoMore = true;
        Http2Stream answeredStream = stream;
        ChannelPromise sent = ctx().newPromise();
        sent.addListener(done -> {
            if (answeredStream.state() != Http2Stream.State.CLOSED) {
                connection.resetStream(answeredStream.id(), Http2Error.NO_ERROR);
            }
        });
        return sent;
    }

    /** A whole answer (an HTTP/2 backend's trailers-only answer, say) is its head and its end. */
    @Override
    public void head(HttpResponse head) {
        if (compresses(head)) {
            writeCompressed(head);
        } else if (head instanceof FullHttpResponse whole) {
            writeWhole(whole);
        } else {
            writeHead(head, false);
        }
    }

    private void writeWhole(FullHttpResponse response) {
        if (!response.content().isReadable() && response.trailingHeaders().isEmpty()) {
            response.release();
            writeHead(response, true);
        } else {
            writeHead(response, false);
            writeBody(response);
        }
    }

    @Override
    public void body(HttpContent content) {
        if (compressor != null) {
            writeCompressed(content);
        } else {
            writeBody(content);
        }
    }

    @Override
    public void answer(FullHttpResponse response) {
        if (compresses(response)) {
            writeCompressed(response);
        } else {
            writeWhole(response);
        }
        connection.flushWrites();
    }

    @Override
    public void interim(FullHttpResponse interim) {
        interim.release();
        if (!closed) {
            encoder().writeHeaders(ctx(), id, toHttp2(interim), 0, false, ctx().voidPromise());
            connection.flushWrites();
        }
    }

    @Override
    public void flush() {
        connection.flushWrites();
    }

    /** The exchange ended; the stream ends with its answer (there is no connection to keep or close). */
    @Override
    public void end(boolean keepAlive) {
        ended = true;
        stopTimer();
        connection.flushWrites();
        recycleIfDone();
    }

    @Override
    public void reset() {
        reset(Http2Error.INTERNAL_ERROR);
    }

    private void reset(Http2Error error) {
        readNoMore = true;
        if (!closed) {
            connection.resetStream(id, error);
        }
    }

    @Override
    public void pause(int reason) {
        pausedBy |= reason;
    }

    @Override
    public void resume(int reasons) {
        if ((pausedBy & reasons) == 0) {
            return;
        }
        pausedBy &= ~reasons;
        if (pausedBy == 0 && unconsumed > 0 && !closed) {
            int bytes = unconsumed;
            unconsumed = 0;
            connection.consumed(stream, bytes);
        }
    }

    @Override
    public boolean isWritable() {
        return !closed && encoder().flowController().isWritable(stream);
    }

    @Override
    public void readNoMore() {
        readNoMore = true;
    }

    @Override
    public boolean closing() {
        return closed || !ctx().channel().isActive();
    }

    @Override
    public boolean mayKeepAlive() {
        return !closed;
    }

    @Override
    public String clientIp() {
        return connection.client().ip();
    }

    @Override
    public boolean peerTrusted() {
        return connection.client().peerTrusted();
    }

    @Override
    public String clientIp(HttpHeaders headers) {
        return connection.client().ipOf(headers);
    }

    @Override
    public void ended(Exchange ended, long endNanos) {
        ended.logAccess(endNanos);
    }

    /** HTTP/2 has no Upgrade (RFC 9113 8.2.2), so a backend that switches protocols cannot be followed. */
    @Override
    public void upgrade(Exchange upgraded, FullHttpResponse answer, UpstreamStream backendSide, Backend backend) {
        ReferenceCountUtil.release(answer);
        backendSide.channel().close();
        reset(Http2Error.INTERNAL_ERROR);
    }
}
