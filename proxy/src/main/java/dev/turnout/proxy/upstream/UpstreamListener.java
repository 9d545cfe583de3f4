package dev.turnout.proxy.upstream;

/**
 * What an upstream connection reports to the exchange it currently serves. Called on the
 * connection's event loop, which is also the client connection's.
 */
public interface UpstreamListener {

    /** An {@code HttpResponse} or {@code HttpContent} from the backend; the listener owns it. */
    void onUpstreamMessage(Object msg);

    /** The end of one read burst: time to flush what was relayed. */
    void onUpstreamReadComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** The connection closed or failed; {@code cause} is null for a plain close. */
    void onUpstreamClosed(Throwable cause);

    /**
     * The backend stopped taking the request on an HTTP/1.1 connection (it answered early and reset it): nothing more
     * can be sent, but what it answered before may still be read, and a close follows as usual. Listeners that send
     * no body need nothing here.
     */
    default void onUpstreamSendFailed() {
    }
}
