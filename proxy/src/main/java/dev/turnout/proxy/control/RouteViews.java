package dev.turnout.proxy.control;

import dev.turnout.admin.RouteView;
import dev.turnout.proxy.policy.RoutePolicy;
import dev.turnout.proxy.route.Route;
import java.util.Map;

/** A route as the admin API shows it: its match and split, and its traffic rules with what its rate limit refused. */
final class RouteViews {

    private RouteViews() {
    }

    static RouteView of(Route route) {
        RoutePolicy policy = route.policy();
        long rateLimited = policy == null ? -1 : policy.rateLimited();
        return new RouteView(route.name(), route.host(), route.pathPrefix(), route.split(),
                policy == null ? Map.of() : policy.summary(), rateLimited < 0 ? null : rateLimited);
    }
}
