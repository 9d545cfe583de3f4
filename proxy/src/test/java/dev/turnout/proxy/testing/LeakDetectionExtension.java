package dev.turnout.proxy.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Makes a Netty buffer leak fail the test run. Registered for every test class by JUnit's
 * extension auto-detection (see junit-platform.properties and META-INF/services).
 *
 * <p>The build runs tests with {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is
 * tracked, but the detector only reports a leak when a buffer is garbage-collected unreleased
 * and a later allocation drains its queue, and then only as an ERROR log line. This extension
 * captures those lines, and after each test (the test has closed its proxy and backends by then)
 * collects garbage and allocates a few buffers to make the detector report, then fails the test
 * if anything was captured. A leak caused by one test may surface in the next one: either way the
 * run fails, and the message carries Netty's access records showing where the buffer went.
 */
public final class LeakDetectionExtension implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private static final String DETECTOR_LOGGER = ResourceLeakDetector.class.getName();
    private static final int REPORT_ROUNDS = 3;
    private static final LeakAppender APPENDER = install();

    @Override
    public void beforeEach(ExtensionContext context) {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            throw new IllegalStateException("leak detection must be paranoid for tests, not "
                    + ResourceLeakDetector.getLevel() + ": run through Maven (surefire argLine)");
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) reported during or before "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        afterEach(context);
    }

    /** Forces the detector to report what has been collected so far, and returns the reports. */
    public static List<String> collectLeaks() {
        for (int i = 0; i < REPORT_ROUNDS; i++) {
            System.gc();
            // Each tracked allocation drains the detector's reference queue and logs any leak found.
            ByteBuf[] bufs = {
                PooledByteBufAllocator.DEFAULT.buffer(64),
                PooledByteBufAllocator.DEFAULT.directBuffer(64),
                UnpooledByteBufAllocator.DEFAULT.heapBuffer(64),
            };
            for (ByteBuf buf : bufs) {
                buf.release();
            }
        }
        return APPENDER.drain();
    }

    private static LeakAppender install() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        LeakAppender appender = new LeakAppender();
        appender.setContext(context);
        appender.setName("netty-leaks");
        appender.start();
        Logger logger = context.getLogger(DETECTOR_LOGGER);
        logger.setLevel(Level.ERROR);
        logger.addAppender(appender);
        return appender;
    }

    private static final class LeakAppender extends AppenderBase<ILoggingEvent> {

        private final List<String> captured = new ArrayList<>();

        @Override
        protected void append(ILoggingEvent event) {
            String message = event.getFormattedMessage();
            if (event.getLevel().isGreaterOrEqual(Level.ERROR) && message != null && message.contains("LEAK")) {
                synchronized (captured) {
                    captured.add(message);
                }
            }
        }

        List<String> drain() {
            synchronized (captured) {
                List<String> copy = new ArrayList<>(captured);
                captured.clear();
                return copy;
            }
        }
    }
}
