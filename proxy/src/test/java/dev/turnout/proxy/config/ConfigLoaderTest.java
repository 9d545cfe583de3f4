package dev.turnout.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    private static final String VALID = """
            turnout {
              listen = "127.0.0.1:0"
              pools {
                stable { backends = [
                  { id = app1, address = "127.0.0.1:9001", weight = 3 }
                  { id = app2, address = "127.0.0.1:9002" } ] }
                canary { backends = [ { id = app3, address = "[::1]:9003", weight = 0 } ] }
              }
              routes = [
                { name = api, host = "*.Example.com", path-prefix = "/api", split { stable = 95, canary = 5 },
                  retry-methods = [GET, HEAD] }
                { name = web, split { stable = 100 } }
              ]
              timeouts { connect = 500ms }
            }
            """;

    @Test
    void compilesAValidFileOverTheDefaults() {
        TurnoutConfig config = ConfigLoader.parse(VALID);

        assertEquals(new HostPort("127.0.0.1", 0), config.listen());
        assertEquals(List.of("canary", "stable"), List.copyOf(config.pools().keySet()));
        PoolConfig stable = config.pools().get("stable");
        assertEquals(PoolConfig.Balancer.WEIGHTED_ROUND_ROBIN, stable.balancer());
        assertEquals(3, stable.backends().get(0).weight());
        assertEquals(1, stable.backends().get(1).weight(), "weight defaults to 1");
        assertEquals(9003, config.pools().get("canary").backends().get(0).socketAddress().getPort());

        RouteConfig api = config.routes().get(0);
        assertEquals("*.example.com", api.host(), "hosts are matched in lower case");
        assertEquals(Map.of("stable", 95, "canary", 5), api.split());
        RouteConfig web = config.routes().get(1);
        assertEquals("*", web.host());
        assertEquals("/", web.pathPrefix());
        assertEquals(Set.of("GET", "HEAD"), api.retryMethods());
        assertEquals(Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"), web.retryMethods(),
                "RFC 9110's idempotent methods by default");

        assertEquals(Duration.ofMillis(500), config.timeouts().connect());
        assertEquals(Duration.ofSeconds(30), config.timeouts().request(), "from reference.conf");
        assertEquals(Duration.ofSeconds(30), config.shutdownGrace());
    }

    @Test
    void referenceConfDefinesNoPoolsAndNoRoutes() {
        TurnoutConfig config = ConfigLoader.parse("");

        assertTrue(config.pools().isEmpty());
        assertTrue(config.routes().isEmpty());
        assertEquals(new HostPort("0.0.0.0", 8080), config.listen());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            split not summing to 100|routes=[{name=r,split {a=60,b=30}}]|turnout.routes[0].split:|sum to 100, not 90
            unknown pool in a split|routes=[{name=r,split {a=90,nope=10}}]|turnout.routes[0].split.nope: "nope"|pools defined
            share over 100|routes=[{name=r,split {a=150}}]|turnout.routes[0].split.a: 150|0 to 100
            duplicate route name|routes=[{name=r,split {a=100}},{name=r,split {a=100}}]|turnout.routes[1].name: "r"|not used
            retry method in lower case|routes=[{name=r,split {a=100},retry-methods=[get]}]|retry-methods: "get"|capitals
            retry methods not a list|routes=[{name=r,split {a=100},retry-methods=GET}]|routes[0].retry-methods|list of methods
            no slash|routes=[{name=r,path-prefix=api,split {a=100}}]|turnout.routes[0].path-prefix: "api"|starting with /
            bad host pattern|routes=[{name=r,host="a b",split {a=100}}]|turnout.routes[0].host|example.com
            negative weight|pools.a.backends=[{id=x,address="[::1]:1",weight=-1}]|pools.a.backends[0].weight: -1|0 to 1000
            weight nan|pools.a.backends=[{id=x,address="[::1]:1",weight=heavy}]|pools.a.backends[0].weight: "heavy"|whole number
            dup id|pools.a.backends=[{id=x,address="[::1]:1"},{id=x,address="[::1]:2"}]|backends[1].id: "x"|not used by
            address without port|pools.a.backends=[{id=x,address="127.0.0.1"}]|pools.a.backends[0].address: "127.0.0.1"|host:port
            address port out of range|pools.a.backends=[{id=x,address="127.0.0.1:70000"}]|pools.a.backends[0].address|port 1-65535
            backend port zero|pools.a.backends=[{id=x,address="127.0.0.1:0"}]|pools.a.backends[0].address|port 1-65535
            missing backend id|pools.a.backends=[{address="[::1]:1"}]|pools.a.backends[0].id: missing|string
            unknown key|pools.a.backends=[{id=x,address="[::1]:1",wieght=2}]|pools.a.backends[0].wieght: unknown key|weight
            unknown balancer|pools.a.balancer=random|turnout.pools.a.balancer: "random"|weighted-round
            unknown top-level key|listn="0.0.0.0:1"|turnout.listn: unknown key|listen
            bad listen address|listen="localhost"|turnout.listen: "localhost"|host:port
            bad duration|timeouts.connect=soon|turnout.timeouts.connect: "soon"|duration
            zero duration|timeouts.idle=0s|turnout.timeouts.idle|above 0
            negative io threads|io-threads=-2|turnout.io-threads: -2|0 to 1024
            unknown state store|state.store=redis|turnout.state.store: "redis"|file or etcd
            no etcd endpoint|state{store=etcd,etcd.endpoints=[]}|turnout.state.etcd.endpoints: []|at least one endpoint
            endpoint without scheme|state{store=etcd,etcd.endpoints=["10.0.0.5:2379"]}|etcd.endpoints: "10.0.0.5:2379"|http://
            etcd prefix without slash|state{store=etcd,etcd.prefix=turnout}|turnout.state.etcd.prefix: "turnout"|starting with /
            lease too short|state{store=etcd,etcd.lease-ttl=1s}|turnout.state.etcd.lease-ttl: "1s"|from 2s to 10m
            bad instance name|state{store=etcd,etcd.instance="a b"}|turnout.state.etcd.instance: "a b"|letters
            unknown etcd key|state{store=etcd,etcd.endpoint=x}|turnout.state.etcd.endpoint: unknown key|endpoints
            unknown protocol|pools.a.protocol=h3|turnout.pools.a.protocol: "h3"|http/1.1, h2c
            missing ca file|pools.a.tls.ca="/nonexistent/ca.pem"|turnout.pools.a.tls.ca: "/nonexistent/ca.pem"|readable PEM
            cert without key|pools.a.tls.cert="/nonexistent/c.pem"|turnout.pools.a.tls.key: missing|both cert and key
            key without cert|pools.a.tls.key="/nonexistent/k.pem"|turnout.pools.a.tls.cert: missing|both cert and key
            h2c over tls|pools.a{protocol=h2c,tls.verify=false}|turnout.pools.a.protocol: "h2c"|h2 for HTTP/2 over TLS
            unknown tls key|pools.a.tls.ciphers=x|turnout.pools.a.tls.ciphers: unknown key|server-name
            bad server name|pools.a.tls.server-name="a b"|turnout.pools.a.tls.server-name: "a b"|DNS name
            verify not a boolean|pools.a.tls.verify=maybe|turnout.pools.a.tls.verify: "maybe"|true or false
            grpc check over http/1.1|pools.a.health-check.type=grpc|turnout.pools.a.health-check.type: "grpc"|needs protocol h2
            unknown check type|pools.a{protocol=h2c,health-check.type=tcp}|turnout.pools.a.health-check.type: "tcp"|http or grpc
            """)
    void refusesABadFileNamingTheKeyAndTheProblem(String problem, String hocon, String key, String expected) {
        String file = "turnout { pools { a { backends = [ { id = a1, address = \"127.0.0.1:9001\" } ] }, "
                + "b { backends = [] } }\n" + hocon + " }";

        ConfigError error = assertThrows(ConfigError.class, () -> ConfigLoader.parse(file));

        assertTrue(error.getMessage().contains(key), () -> problem + ": message should name " + key + ": " + error.getMessage());
        assertTrue(error.getMessage().contains(expected), () -> problem + ": message should say " + expected + ": "
                + error.getMessage());
    }

    @Test
    void theStateStoreIsTheFileUnlessEtcdIsChosen() {
        assertFalse(ConfigLoader.parse(VALID).state().shared(), "store = file by default");

        StateStoreConfig.Etcd etcd = ConfigLoader.parse("turnout { state { store = etcd, etcd { endpoints = "
                + "[\"http://10.0.0.5:2379\", \"http://10.0.0.6:2379\"], prefix = \"/turnout/prod\", instance = edge-1 } } }")
                .state().etcd();

        assertEquals(List.of(URI.create("http://10.0.0.5:2379"), URI.create("http://10.0.0.6:2379")), etcd.endpoints());
        assertEquals("/turnout/prod", etcd.prefix());
        assertEquals("edge-1", etcd.instance());
        assertEquals(Duration.ofSeconds(2), etcd.timeout());
        assertEquals(Duration.ofSeconds(5), etcd.leaseTtl());
        assertTrue(ConfigLoader.parse("turnout.state.store = etcd").state().etcd().instance()
                .endsWith("-" + ProcessHandle.current().pid()), "by default the instance is named after its host and pid");
    }

    /** One reading reports every problem, each with its key, in the order of the file's sections. */
    @Test
    void everyProblemIsReportedAtOnceEachWithItsKey() {
        ConfigError error = assertThrows(ConfigError.class, () -> ConfigLoader.parse("""
                turnout {
                  listen = "nowhere"
                  pools {
                    app { backends = [ { id = a1, address = "127.0.0.1", weight = 2000 }, { id = a1, address = "127.0.0.1:1" } ] }
                    bad { balancer = random, backends = [] }
                  }
                  routes = [ { name = web, host = "a b", split { app = 50, bad = 40 } }, { name = web, split { nope = 100 } } ]
                  timeouts { connect = 0s, request = soon }
                  cache.max-sise = 1MiB
                }
                """));

        assertEquals(List.of("turnout.listen", "turnout.pools.app.backends[0].address", "turnout.pools.app.backends[0].weight",
                "turnout.pools.app.backends[1].id", "turnout.pools.bad.balancer", "turnout.routes[0].host",
                "turnout.routes[0].split", "turnout.routes[1].name", "turnout.routes[1].split.nope",
                "turnout.timeouts.connect", "turnout.timeouts.request", "turnout.cache.max-sise"),
                error.all().stream().map(ConfigError::key).toList(), error::getMessage);
        assertTrue(error.getMessage().startsWith("12 problems: turnout.listen: \"nowhere\" (expected: "), error.getMessage());
        assertTrue(error.all().get(6).problem().contains("sum to 100, not 90"), error.all().get(6)::problem);
    }

    @Test
    void oneProblemIsItsOwnErrorWithItsKeyAndProblemApart() {
        ConfigError error = assertThrows(ConfigError.class, () -> ConfigLoader.parse("turnout.timeouts.idle = -1s"));

        assertEquals(List.of(error), error.all());
        assertEquals("turnout.timeouts.idle", error.key());
        assertEquals("\"-1s\" (expected: a duration above 0, such as 2s)", error.problem());
        assertEquals(error.key() + ": " + error.problem(), error.getMessage());
    }

    @Test
    void theHashTellsConfigurationsApartButNotTheirAdminToken() {
        String base = ConfigLoader.parse(VALID).hash();

        assertEquals(16, base.length());
        assertEquals(base, ConfigLoader.parse(VALID).hash(), "the same configuration, the same hash");
        assertFalse(base.equals(ConfigLoader.parse(VALID.replace("500ms", "600ms")).hash()));
        assertEquals(base, ConfigLoader.parse(VALID.replace("timeouts {", "admin.token = s3cret\n  timeouts {")).hash(),
                "the token's value is left out of a hash that /metrics shows");
    }

    @Test
    void reportsHoconSyntaxErrorsAsConfigErrors() {
        ConfigError error = assertThrows(ConfigError.class, () -> ConfigLoader.parse("turnout { listen = "));

        assertTrue(error.getMessage().contains("String: 1"), error.getMessage());
    }

    @Test
    void parsesIpv6AndRejectsUnbracketedIpv6() {
        assertEquals(new HostPort("::1", 80), HostPort.parse("k", "[::1]:80", false));
        assertEquals("[::1]:80", new HostPort("::1", 80).toString());

        ConfigError error = assertThrows(ConfigError.class, () -> HostPort.parse("k", "::1:80", false));
        assertTrue(error.getMessage().contains("brackets"), error.getMessage());
    }
}
