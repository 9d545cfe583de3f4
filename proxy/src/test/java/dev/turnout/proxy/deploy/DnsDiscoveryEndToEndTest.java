package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.admin.BackendView;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestDnsServer;
import dev.turnout.proxy.testing.TestDnsServer.Srv;
import dev.turnout.proxy.testing.TestProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DNS discovery end to end: a DNS server on a loopback port, backends on 127.0.0.2, 127.0.0.3 and 127.0.0.4 (one port,
 * as type A wants), and a Turnout whose pool is what the name resolves to, looked up every second.
 */
class DnsDiscoveryEndToEndTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    /** How soon a change in DNS must be in force: the interval, and a second. */
    private static final Duration WITHIN = INTERVAL.plusSeconds(1);

    private final Map<String, FakeBackend> backends = new LinkedHashMap<>();
    private final CompletableFuture<Void> slowAnswers = new CompletableFuture<>();
    private TestDnsServer dns;
    private Turnout proxy;
    private int port;

    @BeforeEach
    void startDns() throws InterruptedException {
        dns = TestDnsServer.start().ttl(60);
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        slowAnswers.complete(null);
        if (proxy != null) {
            proxy.close();
        }
        for (FakeBackend backend : backends.values()) {
            backend.close();
        }
        dns.close();
    }

    /** A backend per address, all on one port, answering with their address; {@code /slow} only once slowAnswers completes. */
    private void startBackends(String... ips) throws InterruptedException {
        for (String ip : ips) {
            FakeBackend backend = FakeBackend.startOn(ip, port,
                    r -> r.uri().equals("/slow") ? Reply.ok(ip).after(slowAnswers) : Reply.ok(ip));
            port = backend.port();
            backends.put(ip, backend);
        }
    }

    private void startProxy(String discovery) throws Exception {
        proxy = TestProxy.start("dns.resolvers = [\"" + dns.resolver() + "\"]\n"
                + "pools { app { discovery { " + discovery + ", interval = " + INTERVAL.toSeconds() + "s } } }\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { app = 100 } } ]");
    }

    private String id(String ip) {
        return ip + ":" + port;
    }

    private List<String> ids() {
        return proxy.control().pool("app").backends().stream().map(BackendView::id).toList();
    }

    private String state(String id) {
        return proxy.control().pool("app").backends().stream().filter(b -> b.id().equals(id)).map(BackendView::state)
                .findFirst().orElse("gone");
    }

    private LoadClient load() {
        return new LoadClient(URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/"), 4);
    }

    /** Lets the load client send {@code count} more requests. */
    private static void waitForRequests(LoadClient load, int count) {
        long target = load.sent() + count;
        Await.until(count + " more requests", () -> load.sent() >= target);
    }

    /** {@code turnout_discovery_lookups_total{pool="app",result=...}} as the admin's /metrics shows it. */
    private long lookups(String result) {
        String metrics = AdminCalls.send(proxy, "GET", "/metrics", null).body();
        Matcher m = Pattern.compile("turnout_discovery_lookups_total\\{pool=\"app\",result=\"" + result + "\"} (\\d+)")
                .matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void anAddedAddressServesAndARemovedOneDrainsWhileItsRequestInFlightFinishesWithNoRequestFailed() throws Exception {
        startBackends("127.0.0.2", "127.0.0.3", "127.0.0.4");
        dns.addresses("app.test", "127.0.0.2", "127.0.0.3");
        startProxy("dns = \"app.test\", port = " + port);
        assertEquals(List.of(id("127.0.0.2"), id("127.0.0.3")), ids(), "the first answer is in force before traffic");

        List<String> failures;
        try (LoadClient load = load()) {
            Await.until("both addresses serve", () -> load.servedBy("127.0.0.2") > 0 && load.servedBy("127.0.0.3") > 0);

            dns.addresses("app.test", "127.0.0.2", "127.0.0.3", "127.0.0.4");
            Await.until("127.0.0.4 serves within " + WITHIN, WITHIN, () -> load.servedBy("127.0.0.4") > 0);

            CompletableFuture<HttpResponse<String>> slow = HTTP.sendAsync(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            Await.until("the slow request reached a backend", () -> backends.values().stream()
                    .anyMatch(b -> b.requests().stream().anyMatch(r -> r.uri().equals("/slow"))));
            String leaving = backends.entrySet().stream()
                    .filter(e -> e.getValue().requests().stream().anyMatch(r -> r.uri().equals("/slow")))
                    .map(Map.Entry::getKey).findFirst().orElseThrow();
            List<String> staying = new ArrayList<>(backends.keySet());
            staying.remove(leaving);

            dns.addresses("app.test", staying.toArray(String[]::new));
            Await.until(leaving + " drains within " + WITHIN, WITHIN, () -> state(id(leaving)).equals("draining"));
            waitForRequests(load, 100);
            int reached = backends.get(leaving).requestCount();
            waitForRequests(load, 200);
            assertEquals(reached, backends.get(leaving).requestCount(), "no new request reaches a vanished address");
            assertFalse(slow.isDone(), "its request in flight is still going");

            slowAnswers.complete(null);
            HttpResponse<String> answer = slow.get(10, TimeUnit.SECONDS);
            assertEquals(200, answer.statusCode());
            assertEquals(leaving, answer.body(), "the request in flight finished on the vanished address");
            Await.until(leaving + " leaves the pool once idle", () -> !ids().contains(id(leaving)));
            assertEquals(staying.stream().map(this::id).toList(), ids());
            waitForRequests(load, 100);
            failures = load.failures();
        }
        assertEquals(List.of(), failures, "no request failed across the changes");
    }

    @Test
    void withTheDnsServerEmptyOrStoppedTheLastSetKeepsServing() throws Exception {
        startBackends("127.0.0.2", "127.0.0.3", "127.0.0.4");
        dns.addresses("app.test", "127.0.0.2", "127.0.0.3");
        startProxy("dns = \"app.test\", port = " + port);

        List<String> failures;
        try (LoadClient load = load()) {
            dns.addresses("app.test");
            Await.until("a lookup that found no records", () -> lookups("empty") >= 1);
            dns.stop();
            Await.until("a lookup that got no answer", Duration.ofSeconds(30), () -> lookups("failed") >= 1);

            long two = load.servedBy("127.0.0.2");
            long three = load.servedBy("127.0.0.3");
            Await.until("both addresses still serve", () -> load.servedBy("127.0.0.2") > two
                    && load.servedBy("127.0.0.3") > three);
            assertEquals(List.of(id("127.0.0.2"), id("127.0.0.3")), ids());
            assertEquals("active", state(id("127.0.0.2")));

            dns.addresses("app.test", "127.0.0.3", "127.0.0.4");
            dns.restart();
            Await.until("the answer is followed again", Duration.ofSeconds(30), () -> load.servedBy("127.0.0.4") > 0
                    && !state(id("127.0.0.2")).equals("active"));
            assertTrue(lookups("ok") >= 2, "the first answer and the one after the outage");
            failures = load.failures();
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void srvRecordsGiveEachTargetItsPortAndWeight() throws Exception {
        FakeBackend one = FakeBackend.startOn("127.0.0.2", 0, r -> Reply.ok("one"));
        backends.put("one", one);
        FakeBackend two = FakeBackend.startOn("127.0.0.3", 0, r -> Reply.ok("two"));
        backends.put("two", two);
        dns.addresses("one.test", "127.0.0.2").addresses("two.test", "127.0.0.3").services("_http._tcp.app.test",
                new Srv(10, 1, one.port(), "one.test"), new Srv(10, 3, two.port(), "two.test"),
                new Srv(20, 1, one.port() + 1, "one.test"));
        startProxy("dns = \"_http._tcp.app.test\", type = SRV");

        JsonNode pools = JSON.readTree(AdminCalls.send(proxy, "GET", "/api/v1/pools", null).body());
        Map<String, Integer> weights = new TreeMap<>();
        for (JsonNode backend : pools.path("pools").get(0).path("backends")) {
            assertTrue(backend.path("discovered").asBoolean(), backend.toString());
            assertEquals(backend.path("id").asText(), backend.path("address").asText());
            weights.put(backend.path("id").asText(), backend.path("weight").asInt());
        }
        assertEquals(Map.of("127.0.0.2:" + one.port(), 1, "127.0.0.3:" + two.port(), 3), weights,
                "the priority-20 record is a backup, not a backend");

        Map<String, Integer> served = new TreeMap<>();
        try (RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 40; i++) {
                served.merge(client.get("app.test", "/").bodyText(), 1, Integer::sum);
            }
        }
        assertEquals(Map.of("one", 10, "two", 30), served, "weighted round robin by the records' weights");

        dns.services("_http._tcp.app.test", new Srv(10, 1, one.port(), "one.test"), new Srv(10, 1, two.port(), "two.test"));
        Await.until("the new weight is in force", WITHIN,
                () -> proxy.control().backend("app", "127.0.0.3:" + two.port()).weight() == 1);
    }

    @Test
    void anAdminDrainOfADiscoveredBackendSticksAcrossLookups() throws Exception {
        startBackends("127.0.0.2", "127.0.0.3");
        dns.addresses("app.test", "127.0.0.2", "127.0.0.3");
        startProxy("dns = \"app.test\", port = " + port);

        HttpResponse<String> drained = AdminCalls.send(proxy, "POST", "/api/v1/pools/app/backends/" + id("127.0.0.2") + "/drain",
                null);
        assertEquals(200, drained.statusCode(), drained.body());
        int questions = dns.questions();
        Await.until("two more lookups (A and AAAA each)", Duration.ofSeconds(5), () -> dns.questions() >= questions + 4);

        assertEquals("drained", state(id("127.0.0.2")), "a lookup that announces it again does not enable it");
        try (RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 6; i++) {
                assertEquals("127.0.0.3", client.get("app.test", "/").bodyText());
            }
        }
        HttpResponse<String> removed = AdminCalls.send(proxy, "DELETE", "/api/v1/pools/app/backends/" + id("127.0.0.2"), null);
        assertEquals(409, removed.statusCode(), "DNS says what the pool has: " + removed.body());
        HttpResponse<String> added = AdminCalls.send(proxy, "POST", "/api/v1/pools/app/backends",
                "{\"id\":\"extra\",\"address\":\"127.0.0.4:" + port + "\"}");
        assertEquals(409, added.statusCode(), added.body());

        assertEquals(200, AdminCalls.send(proxy, "POST", "/api/v1/pools/app/backends/" + id("127.0.0.2") + "/enable", null)
                .statusCode());
        Map<String, Integer> served = new TreeMap<>();
        try (RawClient client = RawClient.connect(proxy.address())) {
            for (int i = 0; i < 4; i++) {
                served.merge(client.get("app.test", "/").bodyText(), 1, Integer::sum);
            }
        }
        assertEquals(Map.of("127.0.0.2", 2, "127.0.0.3", 2), served);
    }
}
