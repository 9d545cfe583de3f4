package dev.turnout.proxy;

import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.demo.Demo;
import java.io.File;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Command line: {@code [--config FILE] [--takeover] | --demo | --version | --help}; SIGTERM stops, SIGHUP reloads. */
@SuppressWarnings("checkstyle:regexp") // usage and configuration errors go to the terminal, not the log
public final class Main {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);
    private static final String USAGE = """
            usage: java -jar turnout.jar [--config FILE]   run with FILE layered over the defaults
                   java -jar turnout.jar --demo            run demo backends and a proxy in front of them
                   java -jar turnout.jar --version         print the release version
                   add --takeover to start beside a running Turnout during an upgrade (see the README)
            """;

    private Main() {
    }

    /** The version the build stamped into the jar's manifest; "development" when run from classes. */
    static String version() {
        String stamped = Main.class.getPackage().getImplementationVersion();
        return stamped == null ? "development" : stamped;
    }

    /**
     * Netty's buffer leak detection, unless the command line chose a level: off. At Netty's default level it
     * touches every message at every handler and records a stack trace for one buffer in 128: about 2 % of a
     * proxied request's CPU samples (async-profiler, 1 KiB answers). The test suite runs it at its strictest
     * level instead; {@code -Dio.netty.leakDetection.level=simple} turns it back on in production.
     */
    static final String LEAK_DETECTION = "io.netty.leakDetection.level";

    public static void main(String[] args) throws Exception {
        if (System.getProperty(LEAK_DETECTION) == null) {
            System.setProperty(LEAK_DETECTION, "disabled"); // before any Netty class reads it
        }
        File configFile = null;
        boolean demo = false;
        boolean takeover = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        fatal(2, "--config needs a file\n" + USAGE);
                    }
                    configFile = new File(args[++i]);
                }
                case "--demo" -> demo = true;
                case "--takeover" -> takeover = true;
                case "--version" -> {
                    System.out.println("turnout " + version());
                    return;
                }
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                default -> fatal(2, "unknown argument: " + args[i] + "\n" + USAGE);
            }
        }

        // Handlers first: a SIGTERM that arrives while the listeners start still drains and exits 0, and a
        // SIGHUP (whose default would end the JVM) is ignored until there is a configuration to reload.
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        AtomicReference<Turnout> reloadable = new AtomicReference<>();
        ExecutorService reloads = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "turnout-reload");
            thread.setDaemon(true);
            return thread;
        });
        Signal.handle(new Signal("HUP"), s -> reloads.execute(() -> {
            Turnout running = reloadable.get();
            if (running == null) {
                LOG.warn("SIGHUP ignored: Turnout is still starting, or runs --demo, which has no configuration to reload");
            } else {
                LOG.info("SIGHUP received: reloading the configuration");
                running.reloadOnSignal();
            }
        }));
        Runnable onStop;
        try {
            if (demo) {
                Demo running = Demo.start();
                System.out.print(running.instructions());
                onStop = running::shutdown;
            } else {
                File file = configFile;
                TurnoutConfig config = ConfigLoader.load(file);
                Supplier<TurnoutConfig> source = () -> ConfigLoader.load(file);
                Turnout turnout = takeover ? Turnout.takeOver(config, source) : Turnout.start(config, source);
                reloadable.set(turnout);
                onStop = () -> {
                    try {
                        turnout.shutdown();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
            }
        } catch (ConfigError e) {
            // One line per problem, so each names its key.
            fatal(2, String.join("\n", e.all().stream().map(p -> "turnout: configuration error: " + p.getMessage()).toList()));
            return;
        } catch (IOException e) {
            fatal(1, "turnout: " + e.getMessage());
            return;
        }
        // Handling the signal ourselves (rather than in a shutdown hook) lets the requests in
        // flight finish and the process then exit 0, as SPEC asks.
        stop.await();
        LOG.info("stop signal received");
        onStop.run();
        System.exit(0);
    }

    private static void fatal(int status, String message) {
        System.err.println(message);
        System.exit(status);
    }
}
