package dev.turnout.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real HTTP/1.1 server on a loopback ephemeral port that records what it receives and answers
 * as each test chooses (see {@link Reply}): per instance ({@link #replyWith}), or per request in
 * arrival order ({@link #enqueue}, which takes precedence while replies are queued).
 *
 * <p>Requests on one connection are answered strictly in order, one at a time, like a real
 * server. Every request is recorded when its head arrives ({@link RecordedRequest}), with the
 * connection it came on; accepted and still-open connections are counted.
 */
public final class FakeBackend implements AutoCloseable {

    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(2,
            new DefaultThreadFactory("fake-backend", true), NioIoHandler.newFactory());
    private static final int CHUNK = 64 * 1024;

    private final ChannelGroup children = new DefaultChannelGroup("fake-backend", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger accepted = new AtomicInteger();
    private final Set<Integer> open = ConcurrentHashMap.newKeySet();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Reply> queued = new ConcurrentLinkedQueue<>();
    private volatile Function<RecordedRequest, Reply> replies;
    private final Channel server;
    private final String host;
    private final int port;

    private FakeBackend(Function<RecordedRequest, Reply> replies) throws InterruptedException {
        this("127.0.0.1", 0, replies, null);
    }

    private FakeBackend(String host, int bindPort, Function<RecordedRequest, Reply> replies, SslContext tls)
            throws InterruptedException {
        this.host = host;
        this.replies = replies;
        ChannelFuture bound = new ServerBootstrap()
                .group(GROUP)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        children.add(ch);
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline()
                                .addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(64 * 1024)
                                        .setMaxHeaderSize(64 * 1024)))
                                .addLast("backend", new Connection(accepted.incrementAndGet()));
                    }
                })
                .bind(host, bindPort).sync();
        this.server = bound.channel();
        this.port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** A backend answering 200 "ok" to everything. */
    public static FakeBackend start() throws InterruptedException {
        return start(Reply.ok());
    }

    public static FakeBackend start(Reply reply) throws InterruptedException {
        return new FakeBackend(r -> reply);
    }

    public static FakeBackend start(Function<RecordedRequest, Reply> replies) throws InterruptedException {
        return new FakeBackend(replies);
    }

    /**
     * A backend on {@code host} (another loopback address, such as 127.0.0.2, works on Linux) at {@code port}, 0 for
     * any free one: discovery gives every address of a name the same port.
     */
    public static FakeBackend startOn(String host, int port, Function<RecordedRequest, Reply> replies)
            throws InterruptedException {
        return new FakeBackend(host, port, replies, null);
    }

    /** A backend that speaks HTTP/1.1 over TLS with this server context. */
    public static FakeBackend startTls(SslContext tls, Reply reply) throws InterruptedException {
        return new FakeBackend("127.0.0.1", 0, r -> reply, tls);
    }

    /** From now on, answer every request (not served by {@link #enqueue}) this way. */
    public FakeBackend replyWith(Reply reply) {
        this.replies = r -> reply;
        return this;
    }

    public FakeBackend replyWith(Function<RecordedRequest, Reply> replies) {
        this.replies = replies;
        return this;
    }

    /** The next requests to arrive (on any connection) get these replies, in order. */
    public FakeBackend enqueue(Reply... next) {
        queued.addAll(List.of(next));
        return this;
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:port} (or the host it was started on), as a backend address in the proxy's configuration. */
    public String address() {
        return host + ":" + port;
    }

    /** Connections accepted so far. */
    public int connectionCount() {
        return accepted.get();
    }

    /** Connections accepted and not closed yet. */
    public int openConnectionCount() {
        return open.size();
    }

    /** Whether connection {@code id} (see {@link RecordedRequest#connectionId()}) has closed. */
    public boolean isClosed(int connectionId) {
        return connectionId <= accepted.get() && !open.contains(connectionId);
    }

    /** Every request received so far, in arrival order (a snapshot). */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    public int requestCount() {
        return requests.size();
    }

    /** The {@code index}th request (0-based), waiting for its head to arrive. */
    public RecordedRequest awaitRequest(int index) {
        Await.until("request #" + index + " to reach backend " + address(), () -> requests.size() > index);
        return requests.get(index);
    }

    /** The {@code index}th request, waiting until it arrived completely. */
    public RecordedRequest awaitCompleteRequest(int index) {
        RecordedRequest r = awaitRequest(index);
        Await.until("request #" + index + " to arrive completely at " + address(), r::complete);
        return r;
    }

    @Override
    public void close() throws InterruptedException {
        server.close().sync();
        children.close().sync();
    }

    @Override
    public String toString() {
        return "FakeBackend(" + address() + ")";
    }

    /** One accepted connection: records requests and runs their replies in order. */
    private final class Connection extends ChannelInboundHandlerAdapter {

        private final int id;
        private final ArrayDeque<Runnable> ready = new ArrayDeque<>();
        private int requestIndex;
        private RecordedRequest current;
        private Reply currentReply;
        private boolean currentKeepAlive;
        private boolean busy;
        private Runnable onWritable;

        Connection(int id) {
            this.id = id;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            open.add(id);
            Await.signal();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.remove(id);
            onWritable = null;
            Await.signal();
            ctx.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest head) {
                    onHead(ctx, head);
                }
                if (msg instanceof HttpContent content && current != null) {
                    onContent(ctx, content);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
            Await.signal();
        }

        private void onHead(ChannelHandlerContext ctx, HttpRequest head) {
            HttpHeaders copy = new DefaultHttpHeaders().add(head.headers());
            RecordedRequest r = new RecordedRequest(id, requestIndex++, head.method().name(), head.uri(),
                    head.protocolVersion().text(), copy);
            requests.add(r);
            if (head.decoderResult().isFailure()) {
                r.markFailed();
                current = null;
                ctx.close();
                return;
            }
            Reply next = queued.poll();
            current = r;
            currentReply = next != null ? next : replies.apply(r);
            currentKeepAlive = HttpUtil.isKeepAlive(head);
            if (HttpUtil.is100ContinueExpected(head) && !currentReply.beforeBody) {
                // As servers do: the client may send the body it announced.
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
            if (currentReply.beforeBody) {
                schedule(ctx, r, currentReply, currentKeepAlive);
            }
        }

        private void onContent(ChannelHandlerContext ctx, HttpContent content) {
            RecordedRequest r = current;
            if (content.decoderResult().isFailure()) {
                r.markFailed();
                current = null;
                ctx.close();
                return;
            }
            if (content.content().isReadable()) {
                r.appendBody(ByteBufUtil.getBytes(content.content()));
            }
            if (content instanceof LastHttpContent) {
                r.markComplete();
                current = null;
                if (!currentReply.beforeBody) {
                    schedule(ctx, r, currentReply, currentKeepAlive);
                }
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Runnable resume = onWritable;
            if (resume != null && ctx.channel().isWritable()) {
                onWritable = null;
                resume.run();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private void schedule(ChannelHandlerContext ctx, RecordedRequest r, Reply reply, boolean keepAlive) {
            ready.add(() -> start(ctx, r, reply, keepAlive));
            pump();
        }

        private void pump() {
            if (!busy && !ready.isEmpty()) {
                busy = true;
                ready.poll().run();
            }
        }

        private void done(ChannelHandlerContext ctx, boolean close) {
            if (close) {
                ctx.close();
                return;
            }
            busy = false;
            pump();
        }

        private void start(ChannelHandlerContext ctx, RecordedRequest r, Reply reply, boolean keepAlive) {
            if (reply.gate != null) {
                reply.gate.whenComplete((v, e) -> ctx.executor().execute(() -> execute(ctx, r, reply, keepAlive)));
            } else if (reply.delay != null) {
                ctx.executor().schedule(() -> execute(ctx, r, reply, keepAlive), reply.delay.toNanos(),
                        TimeUnit.NANOSECONDS);
            } else {
                execute(ctx, r, reply, keepAlive);
            }
        }

        private void execute(ChannelHandlerContext ctx, RecordedRequest r, Reply reply, boolean keepAlive) {
            if (!ctx.channel().isActive()) {
                return;
            }
            switch (reply.kind) {
                case STALL:
                    break;
                case CLOSE:
                    ctx.close();
                    break;
                case RAW:
                    // Around the HTTP encoder: these bytes go out exactly as given.
                    ctx.pipeline().context("codec").writeAndFlush(Unpooled.wrappedBuffer(reply.raw))
                            .addListener(f -> done(ctx, reply.closeAfter));
                    break;
                case TRUNCATED:
                    truncated(ctx, reply);
                    break;
                case RESPOND:
                    respond(ctx, r, reply, keepAlive);
                    break;
                default:
                    throw new IllegalStateException(String.valueOf(reply.kind));
            }
        }

        private void truncated(ChannelHandlerContext ctx, Reply reply) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            if (reply.chunked) {
                HttpUtil.setTransferEncodingChunked(head, true);
            } else {
                HttpUtil.setContentLength(head, reply.declaredLength);
            }
            ctx.write(head);
            byte[] part = new byte[(int) reply.sentBytes];
            Payload.fill(part, part.length, 0);
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(part)))
                    .addListener(ChannelFutureListener.CLOSE);
        }

        private void respond(ChannelHandlerContext ctx, RecordedRequest r, Reply reply, boolean keepAlive) {
            boolean close = reply.closeAfter || !keepAlive;
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status));
            for (Map.Entry<String, String> h : reply.headers) {
                head.headers().add(h.getKey(), h.getValue());
            }
            if (!keepAlive) {
                head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            boolean bodyless = r.method().equals(HttpMethod.HEAD.name()) || reply.status == 204 || reply.status == 304;
            if (reply.payloadLength >= 0) {
                setFraming(head, reply, reply.payloadLength);
                ctx.write(head);
                if (bodyless) {
                    finish(ctx, close);
                } else {
                    writePayload(ctx, 0, reply.payloadLength, close);
                }
                return;
            }
            byte[] body = reply.body.apply(r);
            setFraming(head, reply, body.length);
            ctx.write(head);
            if (!bodyless && body.length > 0) {
                if (reply.chunked && body.length > 1) {
                    // Two chunks, so the framing is really exercised.
                    int half = body.length / 2;
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(body, 0, half)));
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(body, half, body.length - half)));
                } else {
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(body)));
                }
            }
            finish(ctx, close);
        }

        private void setFraming(HttpResponse head, Reply reply, long length) {
            if (head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                    || head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
                return;
            }
            if (reply.chunked) {
                HttpUtil.setTransferEncodingChunked(head, true);
            } else if (reply.status != 204 && reply.status != 304) {
                HttpUtil.setContentLength(head, length);
            }
        }

        private void finish(ChannelHandlerContext ctx, boolean close) {
            ctx.writeAndFlush(new DefaultLastHttpContent()).addListener(f -> done(ctx, close));
        }

        /** Streams payload bytes while the connection is writable; resumes when it is again. */
        private void writePayload(ChannelHandlerContext ctx, long offset, long length, boolean close) {
            long at = offset;
            byte[] block = new byte[CHUNK];
            while (at < length && ctx.channel().isWritable()) {
                int n = (int) Math.min(CHUNK, length - at);
                Payload.fill(block, n, at);
                ByteBuf buf = ctx.alloc().buffer(n);
                buf.writeBytes(block, 0, n);
                ctx.write(new DefaultHttpContent(buf));
                at += n;
            }
            ctx.flush();
            if (at >= length) {
                finish(ctx, close);
            } else if (ctx.channel().isActive()) {
                long next = at;
                onWritable = () -> writePayload(ctx, next, length, close);
                if (ctx.channel().isWritable()) {
                    onWritable = null;
                    writePayload(ctx, next, length, close);
                }
            }
        }
    }
}
