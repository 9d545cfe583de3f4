package dev.turnout.proxy.listener;

import dev.turnout.proxy.control.RoutingState;
import dev.turnout.proxy.upstream.UpstreamConnector;

/** What every client connection's handler shares: the routing snapshot holder and the connector. */
record FrontendShared(RoutingState routing, UpstreamConnector connector, long responseTimeoutNanos) {
}
