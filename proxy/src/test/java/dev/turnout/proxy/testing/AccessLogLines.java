package dev.turnout.proxy.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The access log's lines ({@code turnout.access}, off in tests) while one is open; closing restores the logger. */
public final class AccessLogLines implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger("turnout.access");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level level;

    private AccessLogLines() {
        level = logger.getLevel();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
    }

    public static AccessLogLines capture() {
        return new AccessLogLines();
    }

    /** The lines so far, formatted. */
    public List<String> lines() {
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** Waits for a line containing {@code text} and returns it. */
    public String awaitLine(String text) {
        Await.until("an access log line with " + text, () -> lines().stream().anyMatch(l -> l.contains(text)));
        return lines().stream().filter(l -> l.contains(text)).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(level);
    }
}
