package dev.turnout.admin;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures what is logged on {@code turnout.audit} while open (logback-test.xml keeps it at INFO). */
final class AuditCapture implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger("turnout.audit");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    AuditCapture() {
        appender.setName("audit-capture");
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
    }

    /** The formatted audit lines so far. */
    List<String> lines() {
        List<String> lines = new ArrayList<>();
        // AppenderBase.doAppend holds the appender's monitor: take it to read the list safely.
        synchronized (appender) {
            for (ILoggingEvent event : appender.list) {
                lines.add(event.getFormattedMessage());
            }
        }
        return lines;
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
