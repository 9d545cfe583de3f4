package dev.turnout.proxy.accesslog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code turnout.access} logger, so operators can route it to its
 * own appender. conf/logback.xml sends it through an async appender: the event loop never waits
 * on the log's disk.
 *
 * <p>Each event also carries its fields as SLF4J key-value pairs named after Elastic Common Schema
 * keys ({@code client.ip}, {@code http.response.status_code}, {@code event.duration} in
 * nanoseconds...): a text pattern ignores them, and a JSON encoder (conf/logback.xml shows the
 * Logstash encoder) writes them as the line's fields, ready for Elasticsearch.
 */
public final class LoggerAccessLog implements AccessLog {

    private static final Logger LOG = LoggerFactory.getLogger("turnout.access");

    @Override
    public void log(String clientIp, String method, String uri, int status, long bodyBytes, long durationNanos,
            String route, String pool, String backend, String requestId) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        long micros = durationNanos / 1000;
        LOG.atInfo()
                .addKeyValue("client.ip", clientIp)
                .addKeyValue("http.request.method", method)
                .addKeyValue("url.original", uri)
                .addKeyValue("http.response.status_code", status)
                .addKeyValue("http.response.body.bytes", bodyBytes)
                .addKeyValue("event.duration", durationNanos)
                .addKeyValue("http.request.id", requestId)
                .addKeyValue("turnout.route", route)
                .addKeyValue("turnout.pool", pool)
                .addKeyValue("turnout.backend", backend)
                .log("{} \"{} {}\" {} {} {}ms route={} pool={} backend={} id={}", clientIp, method, uri, status, bodyBytes,
                        micros / 1000.0, route, pool, backend, requestId);
    }
}
