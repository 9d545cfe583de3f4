package dev.turnout.proxy;

import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.demo.Demo;
import java.io.File;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Command line: {@code [--config FILE] [--takeover] | --demo | --version | --help}. */
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

    public static void main(String[] args) throws Exception {
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

        // Handlers first: a SIGTERM that arrives while the listeners start still drains and exits 0.
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        Runnable onStop;
        try {
            if (demo) {
                Demo running = Demo.start();
                System.out.print(running.instructions());
                onStop = running::shutdown;
            } else {
                TurnoutConfig config = ConfigLoader.load(configFile);
                Turnout turnout = takeover ? Turnout.takeOver(config) : Turnout.start(config);
                onStop = () -> {
                    try {
                        turnout.shutdown();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
            }
        } catch (ConfigError e) {
            fatal(2, "turnout: configuration error: " + e.getMessage());
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
