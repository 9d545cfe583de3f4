package dev.turnout.proxy.demo;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.transport.Transport;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --demo}: two stable {@code v1} servers and one canary {@code v2} server in-process,
 * with a proxy in front splitting 90/10 between them. Listens on 127.0.0.1:8080, or on a free
 * port if 8080 is taken.
 */
public final class Demo {

    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);

    private final EventLoopGroup backendLoops;
    private final List<DemoBackend> backends;
    private final Turnout turnout;

    private Demo(EventLoopGroup backendLoops, List<DemoBackend> backends, Turnout turnout) {
        this.backendLoops = backendLoops;
        this.backends = backends;
        this.turnout = turnout;
    }

    public static Demo start() throws IOException, InterruptedException {
        Transport transport = Transport.best();
        EventLoopGroup loops = transport.newGroup(1, "demo-app");
        List<DemoBackend> backends = List.of(
                DemoBackend.start("app1", "v1", loops, transport.serverChannel()),
                DemoBackend.start("app2", "v1", loops, transport.serverChannel()),
                DemoBackend.start("app3", "v2", loops, transport.serverChannel()));
        Turnout turnout;
        try {
            turnout = Turnout.start(config(backends, 8080, 9090));
        } catch (IOException busy) {
            LOG.info("port 8080 or 9090 is taken; the demo takes free ports instead");
            turnout = Turnout.start(config(backends, 0, 0));
        }
        return new Demo(loops, backends, turnout);
    }

    static TurnoutConfig config(List<DemoBackend> backends, int port, int adminPort) {
        return ConfigLoader.parse("""
                turnout {
                  listen = "127.0.0.1:%d"
                  admin.listen = "127.0.0.1:%d"
                  state-file = ""
                  shutdown.grace = 5s
                  pools {
                    stable { backends = [
                      { id = %s, address = "127.0.0.1:%d", weight = 1 }
                      { id = %s, address = "127.0.0.1:%d", weight = 1 } ] }
                    canary { backends = [ { id = %s, address = "127.0.0.1:%d", weight = 1 } ] }
                  }
                  routes = [ { name = web, host = "*", path-prefix = "/", split { stable = 90, canary = 10 } } ]
                }
                """.formatted(port, adminPort,
                backends.get(0).id(), backends.get(0).port(),
                backends.get(1).id(), backends.get(1).port(),
                backends.get(2).id(), backends.get(2).port()));
    }

    /** What to print for a newcomer: where things are and what to try. */
    public String instructions() {
        String url = "http://127.0.0.1:" + turnout.address().getPort();
        String admin = "http://127.0.0.1:" + turnout.adminAddress().getPort();
        StringBuilder text = new StringBuilder()
                .append("\nTurnout demo is running.\n\n")
                .append("  proxy:     ").append(url).append("/\n")
                .append("  admin API: ").append(admin).append("/api/v1/pools\n")
                .append("  status:    ").append(admin).append("/ (a live page; drain, enable and split from it)\n");
        for (DemoBackend b : backends) {
            text.append("  backend:   ").append(b.id()).append(" (").append(b.version()).append(") at http://127.0.0.1:")
                    .append(b.port()).append("/\n");
        }
        return text.append("\nRoute 'web' splits traffic stable=90 (app1, app2: v1) / canary=10 (app3: v2).\n\n")
                .append("Try:\n")
                .append("  curl -s ").append(url).append("/hello\n")
                // Each answer carries its own request id: only the version and server fields show the split.
                .append("  for i in $(seq 20); do curl -s ").append(url).append("/; done | cut -d, -f1,2 | sort | uniq -c\n")
                .append("  curl -si -H 'X-Request-Id: my-id-1' ").append(url).append("/trace\n")
                .append("  curl -s -X POST '").append(admin).append("/api/v1/pools/stable/backends/app1/drain?wait=10s'\n")
                .append("  curl -s -X PUT -H 'Content-Type: application/json' -d '{\"stable\":0,\"canary\":100}' ").append(admin)
                .append("/api/v1/routes/web/split\n")
                .append("  curl -s -X POST ").append(admin).append("/api/v1/pools/stable/backends/app1/enable\n\n")
                .append("Stop with Ctrl-C.\n")
                .toString();
    }

    public void shutdown() {
        try {
            turnout.shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backends.forEach(DemoBackend::stop);
        backendLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
