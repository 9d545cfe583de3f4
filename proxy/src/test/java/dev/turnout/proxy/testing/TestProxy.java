package dev.turnout.proxy.testing;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.TurnoutConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.function.Supplier;

/**
 * Starts a {@link Turnout} on a loopback ephemeral port from a HOCON snippet (the inside of the
 * {@code turnout { }} block), with one event loop, its admin listener on another ephemeral
 * loopback port, no state file, and short timeouts, unless the snippet overrides them.
 */
public final class TestProxy {

    private TestProxy() {
    }

    /**
     * Starts a proxy; {@code hocon} is placed inside {@code turnout { }} after the test defaults. A reload reads
     * the same text again (and so changes nothing).
     */
    public static Turnout start(String hocon) throws IOException, InterruptedException {
        String text = config(hocon);
        return Turnout.start(ConfigLoader.parse(text), () -> ConfigLoader.parse(text));
    }

    /**
     * Starts a proxy from {@code file}, written with {@code hocon} as {@link #start(String)} would run it, and
     * read again by each reload: rewrite it with {@link #write}, then reload. The file alone, over the defaults:
     * the {@code -Dturnout.*} properties the build sets for every test (no state file) do not apply to it.
     */
    public static Turnout startFromFile(Path file, String hocon) throws IOException, InterruptedException {
        write(file, hocon);
        Supplier<TurnoutConfig> read = () -> {
            try {
                return ConfigLoader.parse(Files.readString(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        return Turnout.start(read.get(), read);
    }

    /** Writes {@code hocon} with the test defaults to {@code file}, for {@link #startFromFile} and its reloads. */
    public static void write(Path file, String hocon) throws IOException {
        Files.writeString(file, config(hocon));
    }

    private static String config(String hocon) {
        return "turnout {\n"
                + "  listen = \"127.0.0.1:0\"\n"
                + "  io-threads = 1\n"
                + "  admin { listen = \"127.0.0.1:0\" }\n"
                + "  state-file = \"\"\n"
                + "  timeouts { connect = 2s, request = 5s, idle = 60s }\n"
                + "  shutdown.grace = 0s\n"
                + hocon + "\n"
                + "}\n";
    }

    /** One pool {@code app} with these backends (weight 1 each) behind one catch-all route. */
    public static Turnout start(FakeBackend... backends) throws IOException, InterruptedException {
        return start(singlePool(backends));
    }

    /** The HOCON for a pool {@code app} of these backends behind a catch-all route {@code web}. */
    public static String singlePool(FakeBackend... backends) {
        StringJoiner entries = new StringJoiner(", ");
        for (int i = 0; i < backends.length; i++) {
            entries.add(backend("b" + i, backends[i], 1));
        }
        return "pools { app { backends = [ " + entries + " ] } }\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { app = 100 } } ]";
    }

    /** One backend entry for a pool's {@code backends} list. */
    public static String backend(String id, FakeBackend backend, int weight) {
        return backend(id, backend.address(), weight);
    }

    public static String backend(String id, String address, int weight) {
        return "{ id = " + id + ", address = \"" + address + "\", weight = " + weight + " }";
    }
}
