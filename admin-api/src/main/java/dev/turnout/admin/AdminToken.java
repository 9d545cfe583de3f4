package dev.turnout.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * A bearer token the admin API accepts, by name (the name, never the value, goes in the audit log).
 * The value is either given, or kept in a file that is read at start and again whenever it
 * changes, so that a token rotates without a restart.
 *
 * @param value the token, or null when it lives in {@code file}
 * @param file  a file holding the token (surrounding white space ignored), or null
 */
public record AdminToken(String name, Role role, String value, Path file) {

    /** What a token may do on {@code /api/*}. */
    public enum Role {
        /** Everything: backends, splits, rollouts, the cache. */
        OPERATE,
        /** Only GET and HEAD. */
        READ
    }

    public AdminToken {
        if ((value == null) == (file == null)) {
            throw new IllegalArgumentException("a token has either a value or a file");
        }
    }

    public static AdminToken of(String name, Role role, String value) {
        return new AdminToken(name, role, value, null);
    }

    public static AdminToken fromFile(String name, Role role, Path file) {
        return new AdminToken(name, role, null, file);
    }

    /**
     * Reads a token file, refusing one that others may read (a token in a file readable by every
     * user of the host is no secret) or one that holds no token.
     *
     * @throws IOException saying what is wrong with the file, in words for an operator
     */
    public static String read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("not a readable file");
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                throw new IOException("readable by group or others (chmod 600 it)");
            }
        }
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IOException("not readable as UTF-8 text (" + e.getClass().getSimpleName() + ")", e);
        }
        if (token.isEmpty()) {
            throw new IOException("empty");
        }
        return token;
    }

    @Override
    public String toString() {
        return "AdminToken[" + name + ", " + role + (file == null ? "" : ", " + file) + "]";
    }
}
