package dev.turnout.proxy.listener;

import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.health.OutlierEjector;
import dev.turnout.proxy.upstream.UpstreamConnector;

/** What every client connection's handler shares: the routing snapshot, the connector, the ejector. */
record FrontendShared(RoutingState routing, UpstreamConnector connector, OutlierEjector ejector, long responseTimeoutNanos) {
}
