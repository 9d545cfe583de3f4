package dev.turnout.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens {@code /api/*} accepts. Tokens kept in files are read again by
 * {@link #reloadChanged()}, which the admin timer calls every second: a rotated file is in force
 * within about a second, and a file that turns unusable (emptied, made readable by others) keeps the
 * token in force that was read last, and says so once in the log.
 */
final class AdminCredentials {

    private static final Logger LOG = LoggerFactory.getLogger(AdminCredentials.class);

    private final List<Entry> entries;

    /** Reads every token file once; a file that cannot be used fails here. */
    AdminCredentials(List<AdminToken> tokens) throws IOException {
        List<Entry> read = new ArrayList<>();
        for (AdminToken token : tokens) {
            String value;
            try {
                value = token.file() == null ? token.value() : AdminToken.read(token.file());
            } catch (IOException e) {
                throw new IOException("admin token file " + token.file() + ": " + e.getMessage(), e);
            }
            read.add(new Entry(token, value));
        }
        this.entries = List.copyOf(read);
    }

    /** Whether {@code /api/*} needs a token at all. */
    boolean required() {
        return !entries.isEmpty();
    }

    boolean hasFiles() {
        return entries.stream().anyMatch(entry -> entry.token.file() != null);
    }

    /** The token an {@code Authorization} header carries, or null when it carries none of them. */
    AdminToken match(String authorization) {
        byte[] given = authorization == null ? new byte[0] : authorization.getBytes(StandardCharsets.UTF_8);
        AdminToken found = null;
        // Every token is compared, each in constant time, so the answer's timing says nothing of which came close.
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.expected, given) && found == null) {
                found = entry.token;
            }
        }
        return found;
    }

    /** Reads each token file again and puts a changed token in force. */
    void reloadChanged() {
        for (Entry entry : entries) {
            if (entry.token.file() != null) {
                entry.reload();
            }
        }
    }

    /** One token and the header that carries it; {@code expected} changes when its file does. */
    private static final class Entry {

        private final AdminToken token;
        private volatile byte[] expected;
        private String lastProblem;

        Entry(AdminToken token, String value) {
            this.token = token;
            this.expected = header(value);
        }

        private static byte[] header(String value) {
            return ("Bearer " + value).getBytes(StandardCharsets.UTF_8);
        }

        void reload() {
            try {
                byte[] now = header(AdminToken.read(token.file()));
                lastProblem = null;
                if (!MessageDigest.isEqual(now, expected)) {
                    expected = now;
                    LOG.info("admin token {} rotated: read again from {}", token.name(), token.file());
                }
            } catch (IOException e) {
                if (!Objects.equals(lastProblem, e.getMessage())) {
                    lastProblem = e.getMessage();
                    LOG.error("admin token {} not read again from {}: {}; the token read before stays in force",
                            token.name(), token.file(), e.getMessage());
                }
            }
        }
    }
}
