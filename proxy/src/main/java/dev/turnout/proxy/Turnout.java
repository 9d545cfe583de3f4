package dev.turnout.proxy;

import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.listener.ProxyServer;
import dev.turnout.proxy.route.RouteTable;
import dev.turnout.proxy.transport.Transport;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running proxy: its event loops, its listener and its routing state. */
public final class Turnout implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Turnout.class);

    private final TurnoutConfig config;
    private final RoutingState routing;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ProxyServer server;
    private final InetSocketAddress address;

    private Turnout(TurnoutConfig config) throws IOException, InterruptedException {
        this.config = config;
        this.routing = new RoutingState(RouteTable.fromConfig(config));
        Transport transport = Transport.best();
        this.acceptors = transport.newGroup(1, "turnout-accept");
        this.workers = transport.newGroup(config.effectiveIoThreads(), "turnout-io");
        this.server = new ProxyServer(transport, acceptors, workers, routing, config.timeouts());
        try {
            this.address = server.start(config.listen());
        } catch (IOException | RuntimeException | InterruptedException e) {
            stopEventLoops();
            throw e;
        }
        LOG.info("data plane listening on http://{}:{} ({} transport, {} io threads)",
                address.getAddress().getHostAddress(), address.getPort(), transport.name(), config.effectiveIoThreads());
    }

    /** Starts a proxy; the listener is bound when this returns. */
    public static Turnout start(TurnoutConfig config) throws IOException, InterruptedException {
        return new Turnout(config);
    }

    /** The bound data-plane address. */
    public InetSocketAddress address() {
        return address;
    }

    public RoutingState routing() {
        return routing;
    }

    public int openConnections() {
        return server.openConnections();
    }

    /** Graceful stop within {@code turnout.shutdown.grace}; see {@link ProxyServer#shutdown}. */
    public void shutdown() throws InterruptedException {
        shutdown(config.shutdownGrace());
    }

    public void shutdown(Duration grace) throws InterruptedException {
        LOG.info("shutting down: no new connections; waiting up to {} for requests in flight", grace);
        boolean clean = server.shutdown(grace);
        if (!clean) {
            LOG.warn("grace period over: closed the connections still open");
        }
        stopEventLoops();
        LOG.info("stopped");
    }

    private void stopEventLoops() {
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Override
    public void close() throws InterruptedException {
        shutdown(Duration.ZERO);
    }
}
