package dev.turnout.proxy.accesslog;

/**
 * Where each request's access-log line goes: Turnout's own file writer ({@link FileAccessLog}, when
 * {@code turnout.access-log.file} is set) or the {@code turnout.access} logger ({@link LoggerAccessLog}).
 * Called on the event loop that ended the exchange; neither waits on a disk there.
 */
public interface AccessLog {

    /** {@code "-"} stands for a field the request never got (no route, no backend). */
    void log(String clientIp, String method, String uri, int status, long bodyBytes, long durationNanos,
            String route, String pool, String backend, String requestId);
}
