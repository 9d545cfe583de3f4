package dev.turnout.proxy.listener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code turnout.access} logger, so operators can route it to its
 * own appender. conf/logback.xml sends it through an async appender: the event loop never waits
 * on the log's disk.
 */
final class AccessLog {

    private static final Logger LOG = LoggerFactory.getLogger("turnout.access");

    private AccessLog() {
    }

    static boolean enabled() {
        return LOG.isInfoEnabled();
    }

    static void log(String clientIp, String method, String uri, int status, long bytes, long durationNanos,
            String route, String pool, String backend, String requestId) {
        long micros = durationNanos / 1000;
        LOG.info("{} \"{} {}\" {} {} {}ms route={} pool={} backend={} id={}", clientIp, method, uri, status, bytes,
                micros / 1000.0, route, pool, backend, requestId);
    }
}
