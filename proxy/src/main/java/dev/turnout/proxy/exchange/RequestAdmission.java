package dev.turnout.proxy.exchange;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Iterator;

/**
 * The checks a decoded request head passes before it is routed: its Host and target (RFC 9112
 * 3.2), its transfer coding, its expectation. A request in doubt is refused and its connection
 * closed, since proxy and backend could read it differently; only an unmet expectation leaves
 * the connection open.
 */
final class RequestAdmission {

    private RequestAdmission() {
    }

    /**
     * Checks {@code head} and settles the exchange's {@code host} and {@code uri}: an absolute-form
     * target's authority wins over Host, and the backend gets origin-form.
     *
     * @return why the request is refused, or null
     */
    static ProxyFailure admit(HttpRequest head, Exchange exchange) {
        Iterator<String> hosts = head.headers().valueStringIterator(HttpHeaderNames.HOST);
        String host = hosts.hasNext() ? hosts.next() : null;
        if (hosts.hasNext()) {
            return ProxyFailure.DUPLICATE_HOST; // proxy and backend could each pick another
        }
        if (host == null && !exchange.http10Client) {
            return ProxyFailure.MISSING_HOST;
        }
        String uri = exchange.uri;
        if (!uri.startsWith("/")) {
            String authority = RequestTarget.absoluteFormAuthority(uri);
            if (authority != null) {
                uri = RequestTarget.absoluteFormPath(uri);
                head.setUri(uri);
                host = authority;
                head.headers().set(HttpHeaderNames.HOST, authority);
            } else if (!(uri.equals("*") && exchange.method.equals(HttpMethod.OPTIONS))) {
                return ProxyFailure.BAD_TARGET;
            }
        }
        exchange.uri = uri;
        exchange.host = host;
        if (host != null && !RequestTarget.validHost(host)) {
            return ProxyFailure.BAD_HOST;
        }
        if (!ResponsePolicy.onlyChunked(head.headers())) {
            // Only "chunked" is spoken here: a coding before it would reach the backend undecoded.
            return ProxyFailure.BAD_TRANSFER_CODING;
        }
        String expect = head.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
            return ProxyFailure.EXPECTATION_FAILED;
        }
        return null;
    }
}
