package dev.turnout.proxy.testing;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real gRPC server (grpc-java over its Netty transport) on a loopback ephemeral port, plaintext
 * (h2c) or TLS (h2), serving {@code test.Echo} with hand-written method descriptors whose messages
 * are raw bytes, so no protobuf compiler is needed:
 * <ul>
 * <li>{@code Echo} (unary): the request back;
 * <li>{@code Repeat} (server streaming): as many 4-byte counters as the 4-byte request says;
 * <li>{@code Count} (client streaming): how many messages and bytes came, as two 4-byte numbers;
 * <li>{@code Chat} (bidirectional): each message back as it comes;
 * <li>{@code Fail} (unary): FAILED_PRECONDITION "not today" with trailing metadata {@code x-reason: because};
 * <li>{@code Hang} (unary): never answers; a cancelled call is counted in {@link #cancelled()}.
 * </ul>
 * It also serves {@code grpc.health.v1.Health/Check} for "" and {@code test.Echo} (NOT_FOUND for other
 * services), answering {@link #serving(boolean) SERVING or NOT_SERVING}; its messages are encoded by hand.
 */
public final class GrpcBackend implements AutoCloseable {

    public static final String SERVICE = "test.Echo";
    public static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    public static final MethodDescriptor<byte[], byte[]> ECHO = method("Echo", MethodDescriptor.MethodType.UNARY);
    public static final MethodDescriptor<byte[], byte[]> REPEAT = method("Repeat", MethodDescriptor.MethodType.SERVER_STREAMING);
    public static final MethodDescriptor<byte[], byte[]> COUNT = method("Count", MethodDescriptor.MethodType.CLIENT_STREAMING);
    public static final MethodDescriptor<byte[], byte[]> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
    public static final MethodDescriptor<byte[], byte[]> FAIL = method("Fail", MethodDescriptor.MethodType.UNARY);
    /** A client stream the backend refuses at its first message, while the client is still sending. */
    public static final MethodDescriptor<byte[], byte[]> REFUSE = method("Refuse", MethodDescriptor.MethodType.CLIENT_STREAMING);
    public static final MethodDescriptor<byte[], byte[]> HANG = method("Hang", MethodDescriptor.MethodType.UNARY);
    public static final Metadata.Key<String> REASON = Metadata.Key.of("x-reason", Metadata.ASCII_STRING_MARSHALLER);
    private static final MethodDescriptor<byte[], byte[]> HEALTH_CHECK = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("grpc.health.v1.Health/Check")
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();

    private final Server server;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger hanging = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();
    private final AtomicInteger healthChecks = new AtomicInteger();
    private volatile boolean serving = true;

    private GrpcBackend(Path cert, Path key) throws IOException {
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service())
                .addService(health());
        if (cert != null) {
            builder.sslContext(GrpcSslContexts.forServer(cert.toFile(), key.toFile()).build());
        }
        this.server = builder.build().start();
    }

    /** A plaintext server: HTTP/2 with prior knowledge (h2c). */
    public static GrpcBackend plaintext() throws IOException {
        return new GrpcBackend(null, null);
    }

    /** A TLS server (h2 by ALPN) showing this certificate. */
    public static GrpcBackend tls(Path cert, Path key) throws IOException {
        return new GrpcBackend(cert, key);
    }

    public String address() {
        return "127.0.0.1:" + server.getPort();
    }

    /** Calls received, of every method. */
    public int calls() {
        return calls.get();
    }

    /** Calls to Hang that are waiting for their cancellation. */
    public int hanging() {
        return hanging.get();
    }

    /** Calls to Hang that the server saw cancelled. */
    public int cancelled() {
        return cancelled.get();
    }

    /** What the health service answers from now on: SERVING or NOT_SERVING. */
    public void serving(boolean serving) {
        this.serving = serving;
    }

    /** Health checks answered so far. */
    public int healthChecks() {
        return healthChecks.get();
    }

    public static byte[] number(int n) {
        return ByteBuffer.allocate(4).putInt(n).array();
    }

    public static int number(byte[] bytes, int offset) {
        return ByteBuffer.wrap(bytes, offset, 4).getInt();
    }

    private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    }

    /** HealthCheckResponse { status = 1 (SERVING) or 2 (NOT_SERVING) }, from HealthCheckRequest { service = 1 }. */
    private ServerServiceDefinition health() {
        return ServerServiceDefinition.builder("grpc.health.v1.Health")
                .addMethod(HEALTH_CHECK, ServerCalls.asyncUnaryCall((request, out) -> {
                    healthChecks.incrementAndGet();
                    String service = request.length < 2 ? "" : new String(request, 2, request[1], StandardCharsets.UTF_8);
                    if (!service.isEmpty() && !service.equals(SERVICE)) {
                        out.onError(Status.NOT_FOUND.withDescription("unknown service " + service).asRuntimeException());
                        return;
                    }
                    out.onNext(new byte[] {0x08, (byte) (serving ? 1 : 2)});
                    out.onCompleted();
                }))
                .build();
    }

    private ServerServiceDefinition service() {
        return ServerServiceDefinition.builder(SERVICE)
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, out) -> {
                    calls.incrementAndGet();
                    out.onNext(request);
                    out.onCompleted();
                }))
                .addMethod(REPEAT, ServerCalls.asyncServerStreamingCall((request, out) -> {
                    calls.incrementAndGet();
                    for (int i = 0; i < number(request, 0); i++) {
                        out.onNext(number(i));
                    }
                    out.onCompleted();
                }))
                .addMethod(COUNT, ServerCalls.asyncClientStreamingCall(out -> {
                    calls.incrementAndGet();
                    return new StreamObserver<byte[]>() {
                        private int messages;
                        private int bytes;

                        @Override
                        public void onNext(byte[] message) {
                            messages++;
                            bytes += message.length;
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                            out.onNext(ByteBuffer.allocate(8).putInt(messages).putInt(bytes).array());
                            out.onCompleted();
                        }
                    };
                }))
                .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> {
                    calls.incrementAndGet();
                    return new StreamObserver<byte[]>() {
                        @Override
                        public void onNext(byte[] message) {
                            out.onNext(message);
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                            out.onCompleted();
                        }
                    };
                }))
                .addMethod(FAIL, ServerCalls.asyncUnaryCall((request, out) -> {
                    calls.incrementAndGet();
                    Metadata trailers = new Metadata();
                    trailers.put(REASON, "because");
                    out.onError(Status.FAILED_PRECONDITION.withDescription("not today").asRuntimeException(trailers));
                }))
                .addMethod(REFUSE, ServerCalls.asyncClientStreamingCall(out -> {
                    calls.incrementAndGet();
                    return new StreamObserver<byte[]>() {
                        private boolean refused;

                        @Override
                        public void onNext(byte[] message) {
                            if (!refused) {
                                refused = true;
                                out.onError(Status.INVALID_ARGUMENT.withDescription("first message refused")
                                        .asRuntimeException());
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                        }
                    };
                }))
                .addMethod(HANG, ServerCalls.asyncUnaryCall((request, out) -> {
                    calls.incrementAndGet();
                    ((ServerCallStreamObserver<byte[]>) out).setOnCancelHandler(() -> {
                        hanging.decrementAndGet();
                        cancelled.incrementAndGet();
                        Await.signal();
                    });
                    hanging.incrementAndGet();
                    Await.signal();
                }))
                .build();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
}
