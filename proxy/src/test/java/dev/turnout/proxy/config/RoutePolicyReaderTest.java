package dev.turnout.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.policy.RateLimit;
import dev.turnout.proxy.policy.RouteRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Route rules and the client address keys as {@link ConfigLoader} reads them: compiled, or refused naming the key. */
class RoutePolicyReaderTest {

    private static final String POOLS = "pools { a { backends = [ { id = a1, address = \"127.0.0.1:9001\" } ] } }\n";

    private static TurnoutConfig parse(String routeRules, String topLevel) {
        return ConfigLoader.parse("turnout { " + POOLS + topLevel + "\nroutes = [ { name = r, split { a = 100 }, "
                + routeRules + " } ] }");
    }

    @Test
    void everyRuleIsReadWithItsDefaults() {
        TurnoutConfig config = parse("""
                allow = ["10.0.0.0/8", "2001:db8::/32"], deny = ["10.1.0.0/16"]
                redirect { to = "https://{host}{path}{query}" }
                rate-limit { rate = 6000/m }
                request-headers { set { X-Env = prod, X-Retries = 3 }, add { Via = turnout }, remove = [X-Debug] }
                response-headers { set { Strict-Transport-Security = "max-age=31536000" }, remove = [Server] }
                rewrite { strip-prefix = "/api" }
                """, "proxy-protocol = true, trusted-proxies = [\"127.0.0.1/32\"]");

        RouteRules rules = config.routes().get(0).rules();
        assertEquals(List.of("10.0.0.0/8", "2001:db8::/32"), rules.allow().entries());
        assertEquals(List.of("10.1.0.0/16"), rules.deny().entries());
        assertEquals(302, rules.redirect().status(), "a redirect is temporary unless it says otherwise");
        assertEquals(new RateLimit(6000, 60, 100, RateLimit.Key.CLIENT_IP, 100_000), rules.rateLimit(),
                "burst defaults to a second's worth, the key to the client address, max-keys to 100,000");
        assertEquals("remove X-Debug; set X-Env: prod; set X-Retries: 3; add Via: turnout", rules.requestHeaders().toString());
        assertEquals("strip-prefix /api", rules.rewrite().toString());
        assertEquals(List.of("allow", "deny", "redirect", "rate-limit", "request-headers", "rewrite", "response-headers"),
                List.copyOf(rules.summary().keySet()));
        assertTrue(config.clientAddress().proxyProtocol());
        assertEquals(List.of("127.0.0.1/32"), config.clientAddress().trustedProxies().entries());
    }

    @Test
    void aRouteWithoutRulesHasNone() {
        TurnoutConfig config = parse("cache = true", "");
        assertSame(RouteRules.NONE, config.routes().get(0).rules());
        assertFalse(config.clientAddress().proxyProtocol());
        assertTrue(config.clientAddress().trustedProxies().isEmpty());
    }

    @Test
    void rateLimitKeysAndUnitsAreRead() {
        RateLimit limit = parse("rate-limit { rate = 100/s, burst = 200, key = \"header:X-Api-Key\", max-keys = 5000 }", "")
                .routes().get(0).rules().rateLimit();
        assertEquals(new RateLimit(100, 1, 200, new RateLimit.Key(RateLimit.KeyKind.HEADER, "X-Api-Key"), 5000), limit);
        assertEquals(RateLimit.KeyKind.COOKIE, parse("rate-limit { rate = 5/h, key = \"cookie:session\" }", "").routes().get(0)
                .rules().rateLimit().key().kind());
        assertEquals(1, parse("rate-limit { rate = 5/h }", "").routes().get(0).rules().rateLimit().burst());
    }

    @Test
    void aRegexRewriteIsRead() {
        assertEquals("regex ^/old/(.*)$ -> /new/$1", parse("rewrite { regex = \"^/old/(.*)$\", replacement = \"/new/$1\" }", "")
                .routes().get(0).rules().rewrite().toString());
        assertNull(parse("", "").routes().get(0).rules().rewrite());
        assertEquals(Map.of(), parse("", "").routes().get(0).rules().summary());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            bad CIDR|allow = ["10.0.0.0/33"]|turnout.routes[0].allow[0]: "10.0.0.0/33"|prefix length from 0 to 32
            not an address|deny = ["10.0.0.0/8", "example.com"]|turnout.routes[0].deny[1]: "example.com"|CIDR notation
            host bits set|allow = ["10.0.0.1/8"]|turnout.routes[0].allow[0]|host bits set
            IPv6 prefix too long|allow = ["2001:db8::/129"]|turnout.routes[0].allow[0]|0 to 128
            allow not a list|allow = "10.0.0.0/8"|turnout.routes[0].allow: "10.0.0.0/8"|a list
            unknown placeholder|redirect { to = "https://{hostname}{path}" }|turnout.routes[0].redirect.to|not {hostname}
            unclosed placeholder|redirect { to = "https://{host" }|turnout.routes[0].redirect.to|not {host
            space in redirect|redirect { to = "https://a b/" }|turnout.routes[0].redirect.to|no spaces
            bad redirect status|redirect { to = "/x", status = 200 }|routes[0].redirect.status: 200|301, 302, 303, 307, 308
            redirect without to|redirect { status = 301 }|turnout.routes[0].redirect.to: missing|string
            rate of zero|rate-limit { rate = 0/s }|turnout.routes[0].rate-limit.rate: "0/s"|from 1
            rate without unit|rate-limit { rate = 100 }|turnout.routes[0].rate-limit.rate: "100"|100/s
            rate in days|rate-limit { rate = 100/d }|turnout.routes[0].rate-limit.rate: "100/d"|6000/m
            burst of zero|rate-limit { rate = 10/s, burst = 0 }|turnout.routes[0].rate-limit.burst: 0|1 to 1000000
            unknown key kind|rate-limit { rate = 10/s, key = "query:q" }|turnout.routes[0].rate-limit.key: "query:q"|header:NAME
            missing rate|rate-limit { burst = 5 }|turnout.routes[0].rate-limit.rate: missing|string
            unknown rate-limit key|rate-limit { rate = 1/s, brust = 2 }|turnout.routes[0].rate-limit.brust: unknown key|burst
            framing header|request-headers { set { Content-Length = 5 } }|request-headers.set.Content-Length|Turnout writes
            bad header name|response-headers { remove = ["Bad Name"] }|response-headers.remove[0]: "Bad Name"|header name
            control in value|request-headers { add { X-A = "a\\u0001b" } }|turnout.routes[0].request-headers.add.X-A|control
            object as value|request-headers { set { X-A { b = c } } }|turnout.routes[0].request-headers.set.X-A|a string
            bad regex|rewrite { regex = "^/old/(", replacement = "/new" }|turnout.routes[0].rewrite.regex|regular
            missing group|rewrite { regex = "^/old/(.*)$", replacement = "/new/$2" }|rewrite.replacement: "/new/$2"|$0 to $1
            query in replacement|rewrite { regex = "^/a", replacement = "/b?c=d" }|turnout.routes[0].rewrite.replacement|query
            both rewrites|rewrite { strip-prefix = "/a", regex = "x", replacement = "/y" }|turnout.routes[0].rewrite:|either
            strip without slash|rewrite { strip-prefix = "api" }|turnout.routes[0].rewrite.strip-prefix: "api"|starting with /
            """)
    void aBadRuleStopsLoadingNamingItsKey(String problem, String rules, String key, String expected) {
        ConfigError error = assertThrows(ConfigError.class, () -> parse(rules, ""));

        assertTrue(error.getMessage().contains(key), () -> problem + ": message should name " + key + ": " + error.getMessage());
        assertTrue(error.getMessage().contains(expected), () -> problem + ": message should say " + expected + ": "
                + error.getMessage());
    }

    /** The sample configuration's commented route examples, uncommented, are valid as they stand. */
    @Test
    void theSampleConfigurationsRuleExamplesLoad() throws Exception {
        String sample = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("conf/turnout.conf"));
        String examples = sample.substring(sample.indexOf("  routes = [\n") + "  routes = [\n".length(),
                sample.indexOf("    # gRPC calls keep")).lines().map(line -> line.replaceFirst("^    # ", "    "))
                .collect(Collectors.joining("\n"));
        TurnoutConfig config = ConfigLoader.parse("turnout { pools { stable { backends = [ { id = a, address = "
                + "\"127.0.0.1:9001\" } ] } }\nroutes = [\n" + examples + "\n] }");
        assertEquals(List.of("allow", "deny", "rate-limit", "request-headers", "rewrite", "response-headers"),
                List.copyOf(config.routes().get(0).rules().summary().keySet()));
        assertEquals(308, config.routes().get(1).rules().redirect().status());
    }

    @Test
    void aBadTrustedProxyStopsLoadingNamingItsKey() {
        ConfigError error = assertThrows(ConfigError.class, () -> parse("", "trusted-proxies = [\"10.0.0.0/8\", \"proxy-1\"]"));
        assertTrue(error.getMessage().startsWith("turnout.trusted-proxies[1]: \"proxy-1\" (expected: "), error.getMessage());
        error = assertThrows(ConfigError.class, () -> parse("", "proxy-protocol = maybe"));
        assertTrue(error.getMessage().startsWith("turnout.proxy-protocol: \"maybe\""), error.getMessage());
    }
}
