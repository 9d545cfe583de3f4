package dev.turnout.proxy.exchange;

import dev.turnout.proxy.accesslog.AccessLog;
import dev.turnout.proxy.cache.ResponseCache;
import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.health.OutlierEjector;
import dev.turnout.proxy.metrics.TrafficMetrics;
import dev.turnout.proxy.upstream.UpstreamConnector;

/**
 * What every client connection and its exchanges share: the routing snapshot (with the timeouts and limits
 * that go with it), the connector, the ejector, the response cache (null when caching is off), the
 * metrics (null when they are off) and the access log.
 * {@code httpsRedirectPort}, when not null, makes the plain listener redirect to https on that
 * port ("" for 443).
 */
public record FrontendShared(RoutingState routing, UpstreamConnector connector, OutlierEjector ejector, ResponseCache cache,
        TrafficMetrics metrics, AccessLog accessLog, String httpsRedirectPort) {

    public FrontendShared withHttpsRedirectPort(String port) {
        return new FrontendShared(routing, connector, ejector, cache, metrics, accessLog, port);
    }
}
