package dev.turnout.proxy.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd (Debian's {@code etcd-server}) on loopback ports of its own, with its data in a
 * test's directory; stopped and started again on the same ports and data. Where etcd is not
 * installed, the test calling {@link #start} is skipped, saying how to install it.
 */
public final class EtcdServer implements AutoCloseable {

    private static final Path BINARY = Path.of("/usr/bin/etcd");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final Path dataDir;
    private final int clientPort;
    private final int peerPort;
    private Process process;

    private EtcdServer(Path dataDir, int clientPort, int peerPort) {
        this.dataDir = dataDir;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
    }

    /** Starts etcd with its data under {@code dir}; the calling test is skipped where etcd is absent. */
    public static EtcdServer start(Path dir) throws IOException {
        assumeTrue(Files.isExecutable(BINARY), "etcd is not installed (" + BINARY + "): apt-get install etcd-server");
        EtcdServer etcd = new EtcdServer(dir.resolve("etcd"), freePort(), freePort());
        etcd.start();
        return etcd;
    }

    /** The client URL, for {@code turnout.state.etcd.endpoints}. */
    public String endpoint() {
        return "http://127.0.0.1:" + clientPort;
    }

    /** Starts (again, after {@link #stop}) on the same ports and data, and waits until it answers. */
    public void start() throws IOException {
        String client = endpoint();
        String peer = "http://127.0.0.1:" + peerPort;
        Files.createDirectories(dataDir);
        process = new ProcessBuilder(BINARY.toString(), "--name", "test", "--data-dir", dataDir.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "test=" + peer)
                .redirectErrorStream(true).redirectOutput(dataDir.resolveSibling("etcd.log").toFile()).start();
        Await.until("etcd answers on " + client, Duration.ofSeconds(20), this::healthy);
    }

    /** Stops it (SIGTERM) and waits for the process to end. */
    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private boolean healthy() {
        if (process == null || !process.isAlive()) {
            throw new AssertionError("etcd exited; see " + dataDir.resolveSibling("etcd.log"));
        }
        try {
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint() + "/health"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return health.statusCode() == 200 && health.body().contains("true");
        } catch (IOException notYet) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
