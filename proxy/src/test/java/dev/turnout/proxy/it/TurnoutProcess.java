package dev.turnout.proxy.it;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real shaded jar ({@code -Dturnout.jar}, set by failsafe) run as a child process, the way an
 * operator runs it: {@code java -Xmx64m -jar turnout.jar ARGS}. Its stdout and stderr go to files in
 * the test's directory, so a chatty child never blocks on a full pipe and a failure can show them.
 *
 * <p>Nothing here sleeps: every wait polls a condition until a deadline, and the pause between two
 * polls is a wait for the child to exit, which ends the wait early when it dies.
 */
final class TurnoutProcess implements AutoCloseable {

    /** Hang guards: generous, since 2 busy cores can make a JVM start slowly. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);

    private static final Duration POLL_PAUSE = Duration.ofMillis(25);
    private static final int START_ATTEMPTS = 3;
    private static final AtomicInteger LAUNCHES = new AtomicInteger();

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final List<String> command;
    private int port = -1;
    private int adminPort = -1;
    private Path configFile;

    private TurnoutProcess(Process process, Path stdout, Path stderr, List<String> command) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.command = command;
    }

    /** Starts {@code java -Xmx64m ... -jar turnout.jar args} in {@code dir}; does not wait for anything. */
    static TurnoutProcess launch(Path dir, String... args) throws IOException {
        return launch(dir, Map.of(), args);
    }

    /** Like {@link #launch(Path, String...)} with {@code environment} added to this JVM's. */
    static TurnoutProcess launch(Path dir, Map<String, String> environment, String... args) throws IOException {
        String jar = System.getProperty("turnout.jar");
        assertNotNull(jar, "system property turnout.jar is not set: run the ITs through failsafe (mvn verify)");
        assertTrue(Files.isRegularFile(Path.of(jar)), "no shaded jar at " + jar + ": run `mvn package` first");
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx64m",
                "-jar", jar));
        command.addAll(List.of(args));
        int n = LAUNCHES.incrementAndGet();
        Path out = dir.resolve("turnout-" + n + ".stdout");
        Path err = dir.resolve("turnout-" + n + ".stderr");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder
                .directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                .start();
        return new TurnoutProcess(process, out, err, command);
    }

    /**
     * Starts the proxy with {@code config} (HOCON without {@code listen} or {@code admin.listen}:
     * both are added here, on free loopback ports) and returns once it is ready: the data-plane
     * listener accepts and the admin listener, which starts after it, answers {@code GET /healthz}.
     * A port another process took in the meantime is retried with new ones.
     */
    static TurnoutProcess start(Path dir, String config) throws IOException, InterruptedException {
        return start(dir, config, Map.of());
    }

    /** Like {@link #start(Path, String)} with {@code environment} added to this JVM's. */
    static TurnoutProcess start(Path dir, String config, Map<String, String> environment)
            throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            TurnoutProcess turnout = launchWithConfig(dir, config, environment);
            if (turnout.pollUntil(START_TIMEOUT, turnout::ready)) {
                return turnout;
            }
            turnout.close();
            String stderr = turnout.stderr();
            if (attempt < START_ATTEMPTS && (stderr.contains("cannot listen") || stderr.contains("already in use"))) {
                continue;
            }
            fail("turnout did not start on 127.0.0.1:" + turnout.port + " (admin " + turnout.adminPort + ")\n"
                    + turnout.describe());
        }
    }

    /** Like {@link #start} but returns at once, without waiting for anything. */
    static TurnoutProcess launchWithConfig(Path dir, String config) throws IOException {
        return launchWithConfig(dir, config, Map.of());
    }

    private static TurnoutProcess launchWithConfig(Path dir, String config, Map<String, String> environment)
            throws IOException {
        int port = freePort();
        int adminPort = freePort();
        Path file = dir.resolve("turnout-" + port + ".conf");
        Files.writeString(file, "turnout.listen = \"127.0.0.1:" + port + "\"\n"
                + "turnout.admin.listen = \"127.0.0.1:" + adminPort + "\"\n" + config);
        TurnoutProcess turnout = launch(dir, environment, "--config", file.toString());
        turnout.port = port;
        turnout.adminPort = adminPort;
        turnout.configFile = file;
        return turnout;
    }

    private boolean ready() {
        if (!accepts(port)) {
            return false;
        }
        try (WireClient admin = new WireClient(adminPort)) {
            return admin.get("/healthz").status() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** A port that was free a moment ago (bound to 0, then closed). */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** True if a TCP connection to 127.0.0.1:port is accepted; the connection is closed at once. */
    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException refusedOrReset) {
            return false;
        }
    }

    /** The data-plane port from the configuration; -1 when started by {@link #launch}. */
    int port() {
        return port;
    }

    /** The admin port from the configuration; -1 when started by {@link #launch}. */
    int adminPort() {
        return adminPort;
    }

    Process process() {
        return process;
    }

    /**
     * Rewrites the file given with {@code --config} as {@link #start} wrote it: the listeners it chose, then
     * {@code config}.
     */
    void rewriteConfig(String config) throws IOException {
        Files.writeString(configFile, "turnout.listen = \"127.0.0.1:" + port + "\"\n"
                + "turnout.admin.listen = \"127.0.0.1:" + adminPort + "\"\n" + config);
    }

    /** Sends SIGHUP, as {@code kill -HUP PID} does. */
    void hangUp() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -HUP " + process.pid() + " exited " + kill.exitValue());
        }
    }

    /** Sends SIGTERM ({@link Process#destroy()} on Linux). */
    void terminate() {
        process.destroy();
    }

    /**
     * Polls {@code condition} until it holds (true) or {@code timeout} runs out or the process exits
     * (false). Between two polls it waits for the process to exit, for at most a short pause.
     */
    boolean pollUntil(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        return pollUntil(timeout, POLL_PAUSE, condition);
    }

    /** {@link #pollUntil(Duration, BooleanSupplier)} with a chosen pause; zero polls without pausing. */
    boolean pollUntil(Duration timeout, Duration pause, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                return condition.getAsBoolean();
            }
            if (!pause.isZero()) {
                awaitExit(pause);
            }
        }
    }

    /** Waits for the exit status; fails the test if the process is still running after {@code timeout}. */
    int waitForExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("turnout still running " + timeout.toSeconds() + "s later\n" + describe());
        }
        return process.exitValue();
    }

    /** Waits until stdout has a line matching {@code pattern}; returns its first group (or the whole match). */
    String awaitStdout(Pattern pattern, Duration timeout) throws InterruptedException {
        Matcher[] found = new Matcher[1];
        BooleanSupplier matches = () -> {
            Matcher m = pattern.matcher(stdout());
            if (m.find()) {
                found[0] = m;
                return true;
            }
            return false;
        };
        if (!pollUntil(timeout, matches)) {
            fail("turnout never printed a line matching " + pattern + "\n" + describe());
        }
        return found[0].groupCount() > 0 ? found[0].group(1) : found[0].group();
    }

    String stdout() {
        return read(stdout);
    }

    String stderr() {
        return read(stderr);
    }

    /** Command, state and the end of both outputs, for assertion messages. */
    String describe() {
        String state = process.isAlive() ? "still running" : "exit status " + process.exitValue();
        return "command: " + String.join(" ", command) + "\nprocess: " + state
                + "\n--- stdout (end) ---\n" + tail(stdout()) + "\n--- stderr (end) ---\n" + tail(stderr());
    }

    /** Kills the process if it is still running (SIGKILL: a test that wanted a clean stop checked it already). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void awaitExit(Duration pause) throws InterruptedException {
        try {
            process.onExit().get(pause.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException expected) {
            // still running: poll again
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    private static String tail(String text) {
        int max = 6000;
        return text.length() <= max ? text : "..." + text.substring(text.length() - max);
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static File nullDevice() {
        return new File("/dev/null");
    }
}
