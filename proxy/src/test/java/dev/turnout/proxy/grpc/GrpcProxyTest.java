package dev.turnout.proxy.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.GrpcBackend;
import dev.turnout.proxy.testing.TestCertificates;
import dev.turnout.proxy.testing.TestProxy;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A real gRPC client and server (grpc-java) with Turnout between them: clients over TLS (h2 by
 * ALPN) and cleartext (h2c), to a pool of h2c backends and to one of h2 backends over TLS verified
 * against a CA file. Every kind of call, thousands of messages each way, errors with trailing
 * metadata, a deadline and a cancellation, each through every client and pool pairing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcProxyTest {

    private static final int MESSAGES = 1_500;

    @TempDir
    static Path dir;

    private GrpcBackend plainBackend;
    private GrpcBackend tlsBackend;
    private Turnout proxy;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        TestCertificates certificates = TestCertificates.withCa(dir);
        certificates.server("DNS:backend.test", "backend");
        certificates.server("DNS:plain.test,DNS:secure.test,DNS:dead.test,IP:127.0.0.1", "proxy");
        plainBackend = GrpcBackend.plaintext();
        tlsBackend = GrpcBackend.tls(certificates.file("backend.crt"), certificates.file("backend.key"));
        proxy = TestProxy.start("pools {\n"
                + "  plain { protocol = h2c, backends = [ " + TestProxy.backend("p1", plainBackend.address(), 1) + " ] }\n"
                + "  secure { protocol = h2, tls { ca = \"" + certificates.file("ca.crt") + "\", server-name = backend.test }\n"
                + "    backends = [ " + TestProxy.backend("s1", tlsBackend.address(), 1) + " ] }\n"
                + "  dead { protocol = h2c, retries = 0, backends = [ " + TestProxy.backend("d1", "127.0.0.1:1", 1) + " ] }\n"
                + "}\n"
                + "routes = [ { name = plain, host = plain.test, split { plain = 100 } },\n"
                + "  { name = secure, host = secure.test, split { secure = 100 } },\n"
                + "  { name = dead, host = dead.test, split { dead = 100 } } ]\n"
                + "tls { listen = \"127.0.0.1:0\", certificates = [ { cert = \"" + certificates.file("proxy.crt")
                + "\", key = \"" + certificates.file("proxy.key") + "\" } ] }");
    }

    @AfterAll
    void stop() throws Exception {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        if (proxy != null) {
            proxy.close();
        }
        if (plainBackend != null) {
            plainBackend.close();
        }
        if (tlsBackend != null) {
            tlsBackend.close();
        }
    }

    /** A channel to Turnout, on its TLS listener (h2) or its plain one (h2c), naming {@code authority}. */
    private ManagedChannel channel(boolean tls, String authority) throws Exception {
        NettyChannelBuilder builder;
        if (tls) {
            builder = NettyChannelBuilder.forAddress("127.0.0.1", proxy.tlsAddress().getPort())
                    .sslContext(GrpcSslContexts.forClient().trustManager(dir.resolve("ca.crt").toFile()).build());
        } else {
            builder = NettyChannelBuilder.forAddress("127.0.0.1", proxy.address().getPort()).usePlaintext();
        }
        ManagedChannel channel = builder.overrideAuthority(authority).build();
        channels.add(channel);
        return channel;
    }

    /** A client-streaming call through Turnout; {@code result} completes with its answer or fails with its status. */
    private StreamObserver<byte[]> clientStream(String client, String authority, MethodDescriptor<byte[], byte[]> method,
            CompletableFuture<byte[]> result) throws Exception {
        ManagedChannel channel = channel(client.equals("tls"), authority);
        return ClientCalls.asyncClientStreamingCall(channel.newCall(method, CallOptions.DEFAULT),
                observer(result, new ArrayList<>()));
    }

    private GrpcBackend backendOf(String authority) {
        return authority.equals("plain.test") ? plainBackend : tlsBackend;
    }

    Stream<Arguments> paths() {
        return Stream.of(Arguments.of("h2c", "plain.test"), Arguments.of("h2c", "secure.test"),
                Arguments.of("tls", "plain.test"), Arguments.of("tls", "secure.test"));
    }

    @ParameterizedTest(name = "client {0} to {1}")
    @MethodSource("paths")
    void unaryCallsOfEverySizeComeBackWhole(String client, String authority) throws Exception {
        ManagedChannel channel = channel(client.equals("tls"), authority);
        for (int size : new int[] {0, 1, 1_000, 200_000}) {
            byte[] message = new byte[size];
            ThreadLocalRandom.current().nextBytes(message);
            assertArrayEquals(message, ClientCalls.blockingUnaryCall(channel, GrpcBackend.ECHO, CallOptions.DEFAULT, message),
                    size + " bytes, larger than a flow-control window at the top");
        }
    }

    @ParameterizedTest(name = "client {0} to {1}")
    @MethodSource("paths")
    void serverStreamingDeliversEveryMessageInOrder(String client, String authority) throws Exception {
        ManagedChannel channel = channel(client.equals("tls"), authority);
        Iterator<byte[]> replies = ClientCalls.blockingServerStreamingCall(channel, GrpcBackend.REPEAT, CallOptions.DEFAULT,
                GrpcBackend.number(MESSAGES));
        int seen = 0;
        while (replies.hasNext()) {
            assertEquals(seen, GrpcBackend.number(replies.next(), 0));
            seen++;
        }
        assertEquals(MESSAGES, seen);
    }

    @ParameterizedTest(name = "client {0} to {1}")
    @MethodSource("paths")
    void clientStreamingDeliversEveryMessage(String client, String authority) throws Exception {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        StreamObserver<byte[]> requests = clientStream(client, authority, GrpcBackend.COUNT, result);
        for (int i = 0; i < MESSAGES; i++) {
            requests.onNext(new byte[100]);
        }
        requests.onCompleted();
        byte[] counts = result.get(30, TimeUnit.SECONDS);
        assertEquals(MESSAGES, GrpcBackend.number(counts, 0), "messages");
        assertEquals(MESSAGES * 100, GrpcBackend.number(counts, 4), "bytes");
    }

    @ParameterizedTest(name = "client {0} to {1}")
    @MethodSource("paths")
    void bidirectionalStreamingEchoesEveryMessageInOrder(String client, String authority) throws Exception {
        ManagedChannel channel = channel(client.equals("tls"), authority);
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        List<byte[]> echoed = new ArrayList<>();
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(GrpcBackend.CHAT,
                CallOptions.DEFAULT), observer(done, echoed));
        for (int i = 0; i < MESSAGES; i++) {
            requests.onNext(GrpcBackend.number(i));
        }
        requests.onCompleted();
        done.get(30, TimeUnit.SECONDS);
        synchronized (echoed) {
            assertEquals(MESSAGES, echoed.size());
            for (int i = 0; i < MESSAGES; i++) {
                assertEquals(i, GrpcBackend.number(echoed.get(i), 0));
            }
        }
    }

    @ParameterizedTest(name = "client {0} to {1}")
    @MethodSource("paths")
    void anErrorStatusArrivesWithItsTrailingMetadata(String client, String authority) throws Exception {
        ManagedChannel channel = channel(client.equals("tls"), authority);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> ClientCalls.blockingUnaryCall(channel, GrpcBackend.FAIL, CallOptions.DEFAULT, new byte[0]));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals("not today", e.getStatus().getDescription());
        Metadata trailers = Status.trailersFromThrowable(e);
        assertEquals("because", trailers.get(GrpcBackend.REASON));
    }

    /**
     * The backend ends a client stream with an error at its first message while the client is still sending (it
     * then resets the stream with NO_ERROR, as an HTTP/2 server does to a request it will not read): the client gets
     * that status, not a reset of its own.
     */
    @ParameterizedTest(name = "client {0} to {1}")
    @MethodSource("paths")
    void aStreamTheBackendRefusesMidwayEndsWithItsStatus(String client, String authority) throws Exception {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        StreamObserver<byte[]> requests = clientStream(client, authority, GrpcBackend.REFUSE, result);
        for (int i = 0; i < MESSAGES && !result.isDone(); i++) {
            requests.onNext(new byte[10_000]);
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> result.get(30, TimeUnit.SECONDS));
        Status status = Status.fromThrowable(e.getCause());
        assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status::toString);
        assertEquals("first message refused", status.getDescription());
        ManagedChannel next = channel(client.equals("tls"), authority);
        for (int i = 0; i < 3; i++) { // and what was in flight of that stream holds nothing up for the next calls
            byte[] payload = new byte[1 << 20];
            byte[] echoed = ClientCalls.blockingUnaryCall(next, GrpcBackend.ECHO,
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), payload);
            assertEquals(payload.length, echoed.length);
        }
    }

    @ParameterizedTest(name = "client {0} to {1}")
    @MethodSource("paths")
    void aDeadlineEndsTheCallAndTheBackendsStream(String client, String authority) throws Exception {
        ManagedChannel channel = channel(client.equals("tls"), authority);
        GrpcBackend backend = backendOf(authority);
        // The path open and warm first: as the class's first call on a cold JVM, the call could miss its deadline
        // before reaching the backend, and leave nothing there to cancel.
        ClientCalls.blockingUnaryCall(channel, GrpcBackend.ECHO, CallOptions.DEFAULT, new byte[0]);
        int cancelledBefore = backend.cancelled();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel,
                GrpcBackend.HANG, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.SECONDS), new byte[0]));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        Await.until("the backend to see the call cancelled", () -> backend.cancelled() > cancelledBefore);
    }

    @ParameterizedTest(name = "client {0} to {1}")
    @MethodSource("paths")
    void aCancelledCallCancelsTheBackendsStream(String client, String authority) throws Exception {
        ManagedChannel channel = channel(client.equals("tls"), authority);
        GrpcBackend backend = backendOf(authority);
        int cancelledBefore = backend.cancelled();
        int hangingBefore = backend.hanging();
        ClientCall<byte[], byte[]> call = channel.newCall(GrpcBackend.HANG, CallOptions.DEFAULT);
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        ClientCalls.asyncUnaryCall(call, new byte[0], observer(result, new ArrayList<>()));
        Await.until("the call to reach the backend", () -> backend.hanging() > hangingBefore);
        call.cancel("the user gave up", null);
        Await.until("the backend to see the call cancelled", () -> backend.cancelled() > cancelledBefore);
        ExecutionException e = assertThrows(ExecutionException.class, () -> result.get(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.CANCELLED, Status.fromThrowable(e.getCause()).getCode());
    }

    @ParameterizedTest(name = "client {0}")
    @MethodSource("clients")
    void aFailureTurnoutAnswersItselfIsAGrpcStatus(String client) throws Exception {
        ManagedChannel channel = channel(client.equals("tls"), "dead.test");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> ClientCalls.blockingUnaryCall(channel, GrpcBackend.ECHO, CallOptions.DEFAULT, new byte[] {1}));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        assertEquals("turnout: backend refused the connection", e.getStatus().getDescription());
    }

    Stream<String> clients() {
        return Stream.of("h2c", "tls");
    }

    private static StreamObserver<byte[]> observer(CompletableFuture<byte[]> result, List<byte[]> received) {
        return new StreamObserver<>() {
            private byte[] last;

            @Override
            public void onNext(byte[] value) {
                last = value;
                synchronized (received) {
                    received.add(Arrays.copyOf(value, value.length));
                }
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.complete(last);
            }
        };
    }
}
