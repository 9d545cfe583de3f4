package dev.turnout.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener. It runs on the JDK's own HTTP server with threads of its own, so
 * admin traffic never touches the data plane's event loops, and this module needs no Netty.
 *
 * <p>A drain that waits does not hold a thread: the exchange is answered later, from the
 * {@link ControlPlane#whenIdle} completion or from a timer.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_BODY = 64 * 1024;
    private static final int HANDLER_THREADS = 8;
    private static final long BODY_READ_DEADLINE_SECONDS = 10;

    private final HttpServer server;
    private final ExecutorService handlers;
    private final ScheduledExecutorService timers;

    private AdminServer(HttpServer server, ExecutorService handlers, ScheduledExecutorService timers) {
        this.server = server;
        this.handlers = handlers;
        this.timers = timers;
    }

    /**
     * Binds and starts the admin listener.
     *
     * @param token   when non-null, {@code /api/*} needs {@code Authorization: Bearer <token>}
     * @param metrics the Prometheus text for {@code /metrics}, or null while there is none
     */
    public static AdminServer start(String host, int port, String token, ControlPlane control,
            Supplier<String> metrics) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
        if (token == null && !address.getAddress().isLoopbackAddress()) {
            LOG.warn("*** The admin API listens on {} with NO TOKEN: anyone who can reach it can drain backends "
                    + "and move traffic. Set turnout.admin.token (or TURNOUT_ADMIN_TOKEN). ***", address);
        }
        HttpServer server;
        try {
            server = HttpServer.create(address, 64);
        } catch (IOException e) {
            throw new IOException("cannot listen on admin address " + host + ":" + port + ": " + e.getMessage(), e);
        }
        // A few slow callers must not hold every thread: several threads, and a deadline on reading a body.
        ExecutorService handlers = Executors.newFixedThreadPool(HANDLER_THREADS, daemonThreads("turnout-admin"));
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(daemonThreads("turnout-admin-timer"));
        AdminRoutes routes = new AdminRoutes(control, timers, metrics);
        server.createContext("/", exchange -> handle(exchange, token, routes, timers));
        server.setExecutor(handlers);
        server.start();
        return new AdminServer(server, handlers, timers);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        timers.shutdownNow();
    }

    private static void handle(HttpExchange exchange, String token, AdminRoutes routes, ScheduledExecutorService timers) {
        if (declaredLength(exchange) > MAX_BODY) {
            // Refused before reading: a huge announced body is not waited for.
            AdminResponse.error(413, "request body over " + MAX_BODY + " bytes").send(exchange);
            return;
        }
        // Closing the exchange ends a read that a slow client drags on.
        ScheduledFuture<?> cutoff = timers.schedule(exchange::close, BODY_READ_DEADLINE_SECONDS, TimeUnit.SECONDS);
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body;
            try {
                body = in.readNBytes(MAX_BODY + 1);
            } finally {
                cutoff.cancel(false);
            }
            AdminRequest request = new AdminRequest(exchange, body);
            // Decided on the decoded segments that routing uses: "/%61pi/..." is still /api.
            boolean api = !request.segments().isEmpty() && request.segments().get(0).equals("api");
            if (api && token != null && !authorized(exchange, token)) {
                AdminResponse.error(401, "missing or wrong bearer token").send(exchange);
                return;
            }
            if (body.length > MAX_BODY) {
                AdminResponse.error(413, "request body over " + MAX_BODY + " bytes").send(exchange);
                return;
            }
            routes.dispatch(request, response -> response.send(exchange));
        } catch (IOException | RuntimeException e) {
            LOG.warn("admin request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            // The details stay in the log: an answer never shows internals.
            AdminResponse.error(500, "internal error; see Turnout's log").send(exchange);
        }
    }

    private static long declaredLength(HttpExchange exchange) {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        try {
            return declared == null ? -1 : Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            return -1; // the JDK server refuses such a request itself
        }
    }

    private static boolean authorized(HttpExchange exchange, String token) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        byte[] given = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, given); // constant time for equal lengths
    }

    private static ThreadFactory daemonThreads(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
