package dev.turnout.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener. It runs on the JDK's own HTTP server with threads of its own, so
 * admin traffic never touches the data plane's event loops, and this module needs no Netty.
 *
 * <p>Each request passes, in order: {@link AdminGate} (the Host names this listener, no other
 * site's page sent it), the body limits, then on {@code /api/*} the bearer token and its role.
 * A drain that waits does not hold a thread: the exchange is answered later, from the
 * {@link ControlPlane#whenIdle} completion or from a timer; so is a 401 that {@link FailedAuthThrottle}
 * delays.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_BODY = 64 * 1024;
    private static final int HANDLER_THREADS = 8;
    private static final long BODY_READ_DEADLINE_SECONDS = 10;
    private static final String[] TLS_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

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
     * @param metrics the Prometheus text for {@code /metrics}, or null while there is none
     * @throws IOException when the address cannot be bound or a token file cannot be read
     */
    public static AdminServer start(AdminSettings settings, ControlPlane control, Supplier<String> metrics)
            throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(settings.host()), settings.port());
        AdminCredentials credentials = new AdminCredentials(settings.tokens());
        if (!credentials.required() && !settings.requireClientCerts() && !address.getAddress().isLoopbackAddress()) {
            LOG.warn("*** The admin API listens on {} with NO TOKEN (turnout.admin.insecure = true): anyone who can "
                    + "reach it can drain backends and move traffic. ***", address);
        }
        HttpServer server;
        try {
            server = settings.tls() == null ? HttpServer.create(address, 64) : httpsServer(address, settings);
        } catch (IOException e) {
            throw new IOException("cannot listen on admin address " + settings.host() + ":" + settings.port() + ": "
                    + e.getMessage(), e);
        }
        // A few slow callers must not hold every thread: several threads, and a deadline on reading a body.
        ExecutorService handlers = Executors.newFixedThreadPool(HANDLER_THREADS, daemonThreads("turnout-admin"));
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(daemonThreads("turnout-admin-timer"));
        if (credentials.hasFiles()) {
            timers.scheduleWithFixedDelay(credentials::reloadChanged, 1, 1, TimeUnit.SECONDS);
        }
        AdminGate gate = AdminGate.of(settings.host(), address.getAddress(), settings.hosts(), settings.tls() != null);
        Guard guard = new Guard(gate, credentials, new FailedAuthThrottle(System::nanoTime), timers);
        AdminRoutes routes = new AdminRoutes(control, timers, metrics);
        server.createContext("/", exchange -> handle(exchange, guard, routes, timers));
        server.setExecutor(handlers);
        server.start();
        return new AdminServer(server, handlers, timers);
    }

    private static HttpsServer httpsServer(InetSocketAddress address, AdminSettings settings) throws IOException {
        HttpsServer server = HttpsServer.create(address, 64);
        server.setHttpsConfigurator(new HttpsConfigurator(settings.tls()) {
            @Override
            public void configure(HttpsParameters parameters) {
                SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                ssl.setProtocols(TLS_PROTOCOLS);
                // Mutual TLS: a client without a certificate the configured CA signed fails the handshake.
                ssl.setNeedClientAuth(settings.requireClientCerts());
                parameters.setSSLParameters(ssl);
            }
        });
        return server;
    }

    /**
     * Every path template the admin listener serves ({@code {name}} stands for one path segment), with the
     * methods each answers: the route table itself, for the tests that keep the API's reference complete.
     */
    public static Map<String, List<String>> endpoints() {
        return AdminRoutes.endpoints();
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

    private static void handle(HttpExchange exchange, Guard guard, AdminRoutes routes, ScheduledExecutorService timers) {
        AdminResponse refused = guard.gate.refusal(exchange.getRequestHeaders(), exchange.getRequestURI());
        if (refused != null) {
            refused.send(exchange);
            return;
        }
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
            AdminToken token = null;
            if (AdminRequest.isApi(exchange) && guard.credentials.required()) {
                token = guard.credentials.match(exchange.getRequestHeaders().getFirst("Authorization"));
                if (!guard.authorized(exchange, token)) {
                    return;
                }
            }
            if (body.length > MAX_BODY) {
                AdminResponse.error(413, "request body over " + MAX_BODY + " bytes").send(exchange);
                return;
            }
            routes.dispatch(new AdminRequest(exchange, body, token), response -> response.send(exchange));
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

    private static ThreadFactory daemonThreads(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** What decides whether a request gets in: the gate, then on {@code /api/*} the token and its role. */
    private record Guard(AdminGate gate, AdminCredentials credentials, FailedAuthThrottle throttle,
            ScheduledExecutorService timers) {

        /** True when {@code token} may make this call; otherwise the exchange is (or will be) answered with the refusal. */
        boolean authorized(HttpExchange exchange, AdminToken token) {
            InetAddress peer = exchange.getRemoteAddress().getAddress();
            if (token == null) {
                AdminResponse unauthorized = AdminResponse.error(401, "missing or wrong bearer token");
                Duration wait = throttle.failed(peer);
                if (wait.isZero()) {
                    unauthorized.send(exchange);
                } else {
                    timers.schedule(() -> unauthorized.send(exchange), wait.toNanos(), TimeUnit.NANOSECONDS);
                }
                return false;
            }
            throttle.succeeded(peer);
            String method = exchange.getRequestMethod();
            if (token.role() == AdminToken.Role.READ && !method.equals("GET") && !method.equals("HEAD")) {
                AdminResponse.error(403, "token " + token.name() + " may only read (GET); " + method
                        + " needs a token with role operate").send(exchange);
                return false;
            }
            return true;
        }
    }
}
