package dev.turnout.proxy.control;

import dev.turnout.admin.RouteView;
import dev.turnout.proxy.policy.RoutePolicy;
import dev.turnout.proxy.route.Route;
import java.util.Map;

/** A route as the admin API shows it: its match and split, its traffic rules, what its rate limit refused and holds. */
final class RouteViews {

    private RouteViews() {
    }

    static RouteView of(Route route) {
        RoutePolicy policy = route.policy();
        if (policy == null || policy.rateLimited() < 0) {
            return new RouteView(route.name(), route.host(), route.pathPrefix(), route.split(),
                    policy == null ? Map.of() : policy.summary(), null, null);
        }
        return new RouteView(route.name(), route.host(), route.pathPrefix(), route.split(), policy.summary(),
                policy.rateLimited(), policy.rateLimitKeys());
    }
}
