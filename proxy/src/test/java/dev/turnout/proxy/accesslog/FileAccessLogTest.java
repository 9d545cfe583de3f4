package dev.turnout.proxy.accesslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.testing.Await;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileAccessLogTest {

    @TempDir
    Path dir;

    private static void log(AccessLog log, int n) {
        log.log("192.0.2.7", "GET", "/n/" + n, 200, n, 1_000_000, "web", "stable", "app1", "id-" + n);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void anEventLoopsLinesReachTheFileWithinAboutASecondAndAllOfThemOnClose() throws Exception {
        Path file = dir.resolve("access.log");
        FileAccessLog log = FileAccessLog.open(file, LineFormat.TEXT);
        EventLoop loop = new DefaultEventLoop();
        try {
            loop.submit(() -> log(log, 1)).sync();
            Await.until("the flush of a quiet buffer", () -> lines(file).size() == 1);
            assertTrue(lines(file).get(0).contains("\"GET /n/1\" 200 1 1.000ms route=web"), lines(file).get(0));
            // Enough lines to fill several buffers, then the rest on close.
            loop.submit(() -> {
                for (int n = 2; n <= 5000; n++) {
                    log(log, n);
                }
            }).sync();
        } finally {
            loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
            log.close();
        }
        List<String> lines = lines(file);
        assertEquals(5000, lines.size());
        for (int n = 1; n <= 5000; n++) {
            assertTrue(lines.get(n - 1).contains("/n/" + n + "\" 200 " + n + " "), "in order, whole: " + lines.get(n - 1));
        }
        assertEquals(0, log.dropped());
    }

    @Test
    void aThreadThatIsNoEventLoopWritesEachLineAtOnce() throws Exception {
        Path file = dir.resolve("access.json");
        try (FileAccessLog log = FileAccessLog.open(file, LineFormat.JSON)) {
            log(log, 7);
            Await.until("the line", () -> lines(file).size() == 1);
            assertTrue(lines(file).get(0).contains("\"url.original\":\"/n/7\""), lines(file).get(0));
        }
    }

    @Test
    void aLineLongerThanABufferIsWrittenWhole() throws Exception {
        Path file = dir.resolve("access.log");
        String uri = "/" + "a".repeat(3 * FileAccessLog.BUFFER_SIZE);
        try (FileAccessLog log = FileAccessLog.open(file, LineFormat.TEXT)) {
            log.log("192.0.2.7", "GET", uri, 414, 0, 0, "-", "-", "-", "-");
            log(log, 2);
        }
        List<String> lines = lines(file);
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).contains("\"GET " + uri + "\" 414"));
    }

    @Test
    void aFileMovedAwayByLogrotateIsOpenedAnew() throws Exception {
        Path file = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        try (FileAccessLog log = FileAccessLog.open(file, LineFormat.TEXT)) {
            log(log, 1);
            Await.until("the first line", () -> Files.exists(file) && file.toFile().length() > 0);
            Files.move(file, rotated);
            Await.until("the file opened anew", () -> Files.exists(file));
            log(log, 2);
        }
        assertEquals(1, lines(rotated).size());
        List<String> fresh = lines(file);
        assertEquals(1, fresh.size(), "the line after the move went to the new file: " + fresh);
        assertTrue(fresh.get(0).contains("/n/2"));
    }
}
