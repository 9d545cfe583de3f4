package dev.turnout.proxy.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link RoutePolicy} and {@link RoutePolicies} without sockets: the order of the rules, the answers, the limiter's life. */
class RoutePolicyTest {

    private final AtomicLong now = new AtomicLong();
    private final RoutePolicies policies = new RoutePolicies(() -> 1, now::get);

    private static RouteRules rules(AddressList allow, AddressList deny, Redirect redirect, RateLimit limit) {
        return new RouteRules(allow, deny, redirect, limit, HeaderRules.NONE, HeaderRules.NONE, null);
    }

    private static RateLimit perSecond(int count, int burst) {
        return new RateLimit(count, 1, burst, RateLimit.Key.CLIENT_IP, 100);
    }

    private static HttpRequest get(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    /** Turnout's answer's status, or 0 when the request goes on. */
    private static int admit(RoutePolicy policy, String client) {
        FullHttpResponse answer = policy.admit(client, get("/p?q"), "a.test", "/p?q", false);
        if (answer == null) {
            return 0;
        }
        answer.release();
        return answer.status().code();
    }

    @Test
    void aRouteWithoutRulesHasNoPolicy() {
        assertNull(policies.policyFor("r", RouteRules.NONE));
    }

    @Test
    void denyWinsOverAllowAndAnAllowListRefusesEveryoneElse() {
        RoutePolicy policy = policies.policyFor("r", rules(AddressList.of(List.of("10.0.0.0/8")),
                AddressList.of(List.of("10.1.0.0/16")), null, null));
        assertEquals(0, admit(policy, "10.2.3.4"));
        assertEquals(403, admit(policy, "10.1.3.4"));
        assertEquals(403, admit(policy, "192.0.2.1"));
        assertEquals(403, admit(policy, "not-an-address"));
        RoutePolicy denyOnly = policies.policyFor("d", rules(AddressList.EMPTY, AddressList.of(List.of("2001:db8::/32")),
                null, null));
        assertEquals(403, admit(denyOnly, "2001:db8::1"));
        assertEquals(0, admit(denyOnly, "192.0.2.1"));
    }

    @Test
    void theAccessListComesBeforeTheRedirectAndTheRedirectBeforeTheRateLimit() {
        RoutePolicy policy = policies.policyFor("r", rules(AddressList.EMPTY, AddressList.of(List.of("192.0.2.66")),
                new Redirect("https://{host}{path}{query}", 308), perSecond(1, 1)));
        assertEquals(403, admit(policy, "192.0.2.66"));
        for (int i = 0; i < 3; i++) {
            assertEquals(308, admit(policy, "192.0.2.1"), "a redirect is never rate limited");
        }
        assertEquals(0, policy.rateLimited());
    }

    @Test
    void aRefusedRequestGets429WithRetryAfterAndTheDraftsFields() {
        RoutePolicy policy = policies.policyFor("api", rules(AddressList.EMPTY, AddressList.EMPTY, null, perSecond(2, 2)));
        assertEquals(0, admit(policy, "192.0.2.1"));
        assertEquals(0, admit(policy, "192.0.2.1"));
        FullHttpResponse refused = policy.admit("192.0.2.1", get("/"), "a.test", "/", false);
        try {
            assertEquals(429, refused.status().code());
            HttpHeaders h = refused.headers();
            assertEquals("1", h.get("Retry-After"), "half a second, rounded up");
            assertEquals("\"api\";q=2;w=1", h.get("RateLimit-Policy"));
            assertEquals("\"api\";r=0;t=1", h.get("RateLimit"));
            assertEquals("text/plain", h.get("Content-Type"));
        } finally {
            refused.release();
        }
        assertEquals(1, policy.rateLimited());
    }

    @Test
    void anUnchangedRateLimitKeepsItsBucketsAcrossSnapshotsAndAChangedOneStartsAfresh() {
        RouteRules limited = rules(AddressList.EMPTY, AddressList.EMPTY, null, perSecond(1, 1));
        RoutePolicy first = policies.policyFor("r", limited);
        assertEquals(0, admit(first, "192.0.2.1"));
        RoutePolicy next = policies.policyFor("r", rules(AddressList.EMPTY, AddressList.EMPTY, null, perSecond(1, 1)));
        assertNotSame(first, next);
        assertEquals(429, admit(next, "192.0.2.1"), "the bucket the first snapshot emptied");
        assertEquals(1, next.rateLimited(), "one count for both snapshots");
        RoutePolicy changed = policies.policyFor("r", rules(AddressList.EMPTY, AddressList.EMPTY, null, perSecond(2, 1)));
        assertEquals(0, admit(changed, "192.0.2.1"), "a new limit starts with full buckets");
        assertEquals(0, changed.rateLimited());
        assertEquals(-1, policies.policyFor("x", rules(AddressList.of(List.of("10.0.0.0/8")), AddressList.EMPTY, null, null))
                .rateLimited(), "no rate limit, no count");
    }

    @Test
    void requestRulesAndTheRewriteShapeWhatTheBackendGetsAndResponseRulesWhatTheClientGets() {
        RoutePolicy policy = policies.policyFor("r", new RouteRules(AddressList.EMPTY, AddressList.EMPTY, null, null,
                new HeaderRules(Map.of("X-Env", "prod"), Map.of(), List.of("X-Debug")),
                new HeaderRules(Map.of(), Map.of(), List.of("Server")), PathRewrite.stripPrefix("/api")));
        HttpRequest request = get("/api/users?x=1");
        request.headers().set("X-Debug", "1");
        policy.toBackend(request);
        assertEquals("/users?x=1", request.uri());
        assertEquals("prod", request.headers().get("X-Env"));
        assertFalse(request.headers().contains("X-Debug"));
        HttpHeaders answer = new DefaultHttpHeaders().set("Server", "app/1.0");
        policy.toClient(answer);
        assertTrue(answer.isEmpty());
        assertEquals(List.of("request-headers", "rewrite", "response-headers"), List.copyOf(policy.summary().keySet()));
    }
}
