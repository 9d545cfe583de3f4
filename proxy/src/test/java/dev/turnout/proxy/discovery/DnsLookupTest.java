package dev.turnout.proxy.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.config.DiscoveryConfig;
import dev.turnout.proxy.testing.TestDnsServer;
import dev.turnout.proxy.testing.TestDnsServer.Srv;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.dns.DnsNameResolver;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link DnsLookup} against a DNS server on a loopback port: what each kind of answer becomes. */
class DnsLookupTest {

    private TestDnsServer dns;
    private DnsLookup lookup;

    @BeforeEach
    void start() throws InterruptedException {
        dns = TestDnsServer.start();
        lookup = new DnsLookup(List.of(dns.address()));
    }

    @AfterEach
    void stop() throws InterruptedException {
        lookup.close();
        dns.close();
    }

    private static DiscoveryConfig a(String name, int port) {
        return new DiscoveryConfig(name, DiscoveryConfig.Type.A, port, Duration.ofSeconds(5));
    }

    private static DiscoveryConfig srv(String name) {
        return new DiscoveryConfig(name, DiscoveryConfig.Type.SRV, 0, Duration.ofSeconds(5));
    }

    private Resolution resolve(DiscoveryConfig config) throws Exception {
        return lookup.lookup(config).get(10, TimeUnit.SECONDS);
    }

    /** Endpoint id to weight. */
    private static Map<String, Integer> weights(Resolution resolution) {
        Map<String, Integer> weights = new TreeMap<>();
        resolution.endpoints().forEach(e -> weights.put(e.id(), e.weight()));
        return weights;
    }

    @Test
    void typeAGivesEveryIpv4AndIpv6AddressAtThePortWithTheRecordsTtl() throws Exception {
        dns.addresses("app.test", "127.0.0.2", "127.0.0.3", "::1").ttl(30);

        Resolution found = resolve(a("app.test", 8080));

        assertEquals(Map.of("127.0.0.2:8080", 1, "127.0.0.3:8080", 1, "[0:0:0:0:0:0:0:1]:8080", 1), weights(found));
        assertEquals(Duration.ofSeconds(30), found.ttl());
    }

    @Test
    void srvGivesTheLowestPriorityTargetsAddressesWithTheRecordsPortsAndWeights() throws Exception {
        dns.addresses("one.test", "127.0.0.2").addresses("two.test", "127.0.0.3", "127.0.0.4")
                .addresses("backup.test", "127.0.0.9")
                .services("_http._tcp.app.test", new Srv(10, 30, 8081, "one.test"), new Srv(10, 0, 8082, "two.test"),
                        new Srv(20, 5, 8083, "backup.test"), new Srv(10, 5000, 8084, "one.test"));

        Resolution found = resolve(srv("_http._tcp.app.test"));

        assertEquals(Map.of("127.0.0.2:8081", 30, "127.0.0.3:8082", 1, "127.0.0.4:8082", 1, "127.0.0.2:8084", 1000),
                weights(found), "priority 20 is a backup; weight 0 becomes 1 and 5000 the most a backend may have");
    }

    @Test
    void theTtlIsTheShortestOfTheServiceAndItsTargets() throws Exception {
        dns.ttl(7).addresses("one.test", "127.0.0.2").services("svc.test", new Srv(1, 1, 9000, "one.test"));

        assertEquals(Duration.ofSeconds(7), resolve(srv("svc.test")).ttl());
    }

    @Test
    void aNameWithNoRecordsGivesNoEndpoints() throws Exception {
        assertEquals(List.of(), resolve(a("nowhere.test", 80)).endpoints(), "NXDOMAIN");
        dns.addresses("known.test");
        assertEquals(List.of(), resolve(a("known.test", 80)).endpoints(), "no data");
        assertEquals(List.of(), resolve(srv("known.test")).endpoints(), "no SRV data");
    }

    @Test
    void aServerFailureFailsTheLookup() {
        dns.addresses("app.test", "127.0.0.2").failWith(DnsResponseCode.SERVFAIL);

        ExecutionException failed = assertThrows(ExecutionException.class, () -> resolve(a("app.test", 80)));

        assertTrue(failed.getCause() instanceof UnknownHostException, String.valueOf(failed.getCause()));
        assertFalse(DnsLookup.noSuchRecords(failed.getCause()), "SERVFAIL is no answer, not an answer that the name has none");
    }

    @Test
    void aServerThatDoesNotAnswerFailsTheLookup() throws Exception {
        dns.addresses("app.test", "127.0.0.2");
        dns.stop();

        ExecutionException failed = assertThrows(ExecutionException.class, () -> resolve(a("app.test", 80)));

        assertTrue(DnsNameResolver.isTimeoutError(failed.getCause()), String.valueOf(failed.getCause()));
    }
}
