package dev.turnout.proxy.upstream;

import dev.turnout.proxy.config.HealthCheckConfig;
import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.pool.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A health probe over the same kind of connection as the pool's requests: TLS verified as for
 * traffic, HTTP/1.1 or HTTP/2 (h2c, h2). Each probe opens a connection of its own, sends one
 * request and closes it, so it proves that a new connection works, as the first request after a
 * restart needs. An HTTP probe is a GET of the path and passes on an expected status; a gRPC probe
 * is {@code grpc.health.v1.Health/Check} for the configured service and passes when the answer is
 * status OK with {@code SERVING}.
 */
final class UpstreamProbe extends ChannelInboundHandlerAdapter {

    private static final int MAX_PROBE_ANSWER = 64 * 1024;
    /** HealthCheckResponse.ServingStatus.SERVING in grpc/health/v1/health.proto. */
    private static final int SERVING = 1;

    private final HealthCheckConfig check;
    private final CompletableFuture<ProbeOutcome> outcome;
    private int status;
    private String grpcStatus;
    private ByteBuf answer;

    private UpstreamProbe(HealthCheckConfig check, CompletableFuture<ProbeOutcome> outcome) {
        this.check = check;
        this.outcome = outcome;
    }

    /** Probes {@code backend} on {@code loop}; the outcome fails the probe after the check's timeout. */
    static CompletableFuture<ProbeOutcome> run(UpstreamChannels channels, PoolTransport transport, Backend backend,
            HealthCheckConfig check, EventLoop loop) {
        CompletableFuture<ProbeOutcome> outcome = new CompletableFuture<>();
        UpstreamProbe probe = new UpstreamProbe(check, outcome);
        loop.execute(() -> {
            Future<Channel> opened = channels.open(transport, backend, loop, ch -> {
                if (transport.http2()) {
                    ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                            .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)).build(),
                            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                } else {
                    ch.pipeline().addLast(new HttpClientCodec(), probe);
                }
            });
            loop.schedule(() -> {
                outcome.complete(new ProbeOutcome(false, "no answer within " + check.timeout().toMillis() + " ms"));
                opened.addListener(f -> {
                    if (f.isSuccess()) {
                        opened.getNow().close();
                    }
                });
            }, check.timeout().toNanos(), TimeUnit.NANOSECONDS);
            opened.addListener(f -> {
                if (!f.isSuccess()) {
                    outcome.complete(new ProbeOutcome(false, String.valueOf(f.cause())));
                } else if (transport.http2()) {
                    probe.sendOnStream(opened.getNow(), backend);
                } else {
                    opened.getNow().writeAndFlush(probe.request(backend));
                }
            });
            outcome.whenComplete((result, failure) -> opened.addListener(f -> {
                if (f.isSuccess()) {
                    opened.getNow().close();
                }
            }));
        });
        return outcome;
    }

    private void sendOnStream(Channel connection, Backend backend) {
        new Http2StreamChannelBootstrap(connection).handler(this).open().addListener(f -> {
            if (!f.isSuccess()) {
                outcome.complete(new ProbeOutcome(false, "no HTTP/2 stream: " + f.cause()));
                return;
            }
            Channel stream = (Channel) f.getNow();
            stream.pipeline().addFirst(new Http2StreamFrameToHttpObjectCodec(false));
            stream.writeAndFlush(request(backend));
        });
    }

    private FullHttpRequest request(Backend backend) {
        boolean grpc = check.grpc();
        ByteBuf body = grpc ? healthCheckRequest(check.grpcService()) : Unpooled.EMPTY_BUFFER;
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, grpc ? HttpMethod.POST : HttpMethod.GET,
                check.path(), body);
        request.headers().set(HttpHeaderNames.HOST, backend.address())
                .set(HttpHeaderNames.USER_AGENT, "turnout-health-check")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (grpc) {
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
                    .set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        return request;
    }

    /** A gRPC message (uncompressed, length-prefixed) holding HealthCheckRequest { service = 1 }. */
    static ByteBuf healthCheckRequest(String service) {
        byte[] name = service.getBytes(StandardCharsets.UTF_8);
        ByteBuf message = Unpooled.buffer();
        if (name.length > 0) {
            message.writeByte(0x0a); // field 1, length-delimited
            writeVarint(message, name.length);
            message.writeBytes(name);
        }
        ByteBuf framed = Unpooled.buffer(5 + message.readableBytes());
        framed.writeByte(0).writeInt(message.readableBytes()).writeBytes(message);
        message.release();
        return framed;
    }

    private static void writeVarint(ByteBuf out, int value) {
        while ((value & ~0x7f) != 0) {
            out.writeByte((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.writeByte(value);
    }

    /** The ServingStatus of a length-prefixed HealthCheckResponse, or -1 when it is not one. */
    static int servingStatus(ByteBuf framed) {
        if (framed.readableBytes() < 5 || framed.getByte(framed.readerIndex()) != 0) {
            return -1;
        }
        int length = framed.getInt(framed.readerIndex() + 1);
        if (length < 0 || framed.readableBytes() < 5 + length) {
            return -1;
        }
        ByteBuf message = framed.slice(framed.readerIndex() + 5, length);
        int servingStatus = 0; // proto3: an absent field is its default, UNKNOWN
        while (message.isReadable()) {
            int tag = message.readByte();
            if (tag != 0x08 || !message.isReadable()) {
                return -1;
            }
            servingStatus = message.readByte();
        }
        return servingStatus;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpResponse head) {
                status = head.status().code();
                grpcStatus = head.headers().get("grpc-status");
            }
            if (msg instanceof HttpContent content && check.grpc()) {
                if (answer == null) {
                    answer = ctx.alloc().buffer();
                }
                if (answer.readableBytes() + content.content().readableBytes() <= MAX_PROBE_ANSWER) {
                    answer.writeBytes(content.content(), content.content().readerIndex(), content.content().readableBytes());
                }
            }
            if (msg instanceof LastHttpContent last) {
                if (grpcStatus == null) {
                    grpcStatus = last.trailingHeaders().get("grpc-status");
                }
                outcome.complete(judge());
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private ProbeOutcome judge() {
        if (!check.grpc()) {
            return new ProbeOutcome(check.accepts(status), "status " + status);
        }
        int serving = answer == null ? -1 : servingStatus(answer);
        boolean passed = status == 200 && "0".equals(grpcStatus) && serving == SERVING;
        return new ProbeOutcome(passed, "status " + status + ", grpc-status " + grpcStatus + ", serving status " + serving);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        outcome.complete(new ProbeOutcome(false, "connection closed before the answer"));
        releaseAnswer();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseAnswer();
    }

    private void releaseAnswer() {
        if (answer != null) {
            answer.release();
            answer = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        outcome.complete(new ProbeOutcome(false, String.valueOf(cause)));
        ctx.close();
    }
}
