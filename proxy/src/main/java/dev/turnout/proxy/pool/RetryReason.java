package dev.turnout.proxy.pool;

/**
 * Why a request was sent again to another backend; the {@code reason} label of
 * {@code turnout_retries_total}.
 */
public enum RetryReason {
    /** The backend refused the connection: nothing listens there, the request never left. */
    CONNECT_REFUSED("connect-refused"),
    /** The connection was not accepted in time: the request never left. */
    CONNECT_TIMEOUT("connect-timeout"),
    /** The backend closed or reset the connection before any byte of an answer. */
    CLOSED_BEFORE_ANSWER("closed-before-answer"),
    /** TLS with the backend failed (its certificate did not verify): the request never left. */
    TLS_FAILED("tls-failed"),
    /** The backend refused the HTTP/2 stream unprocessed (REFUSED_STREAM, or above a GOAWAY's last stream). */
    REFUSED_STREAM("refused-stream");

    private final String label;

    RetryReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
