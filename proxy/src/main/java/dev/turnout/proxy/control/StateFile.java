package dev.turnout.proxy.control;

import dev.turnout.proxy.config.ConfigError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves runtime changes so they survive a restart, and lays them over the configuration at start
 * (see {@link StateJson} for what applies where).
 *
 * <p>Writes are atomic: a temporary file in the same directory, fsync, rename, fsync of the
 * directory. A crash leaves the old state or the new one, never half of either.
 */
final class StateFile {

    private static final Logger LOG = LoggerFactory.getLogger(StateFile.class);

    private final Path path;

    StateFile(Path path) {
        this.path = path.toAbsolutePath();
    }

    void save(RuntimeState state) {
        try {
            Path dir = path.getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
            try {
                try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer bytes = ByteBuffer.wrap(StateJson.encode(state));
                    while (bytes.hasRemaining()) {
                        out.write(bytes);
                    }
                    out.force(true);
                }
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write state file " + path + ": " + e.getMessage(), e);
        }
    }

    /** The configured state with the saved one laid over it, or {@code configured} if none is saved. */
    RuntimeState loadOver(RuntimeState configured) {
        if (!Files.exists(path)) {
            return configured;
        }
        RuntimeState merged;
        try {
            merged = StateJson.mergeOver(configured, Files.readAllBytes(path), "state file");
        } catch (IOException | ConfigError e) {
            throw new ConfigError("turnout.state-file: " + path + ": " + e.getMessage()
                    + "; fix or delete it to start from the configuration alone");
        }
        LOG.info("runtime state loaded from {}", path);
        return merged;
    }
}
