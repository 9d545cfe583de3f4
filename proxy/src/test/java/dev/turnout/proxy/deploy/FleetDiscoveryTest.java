package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.admin.BackendView;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.EtcdServer;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestDnsServer;
import dev.turnout.proxy.testing.TestProxy;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery in fleet mode: two Turnouts sharing their runtime state through a real etcd, each asking a DNS server of
 * its own, which announce different addresses. Each follows its own answer; only an admin drain is shared.
 */
class FleetDiscoveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();
    private int port;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        closing.add(closeable);
        return closeable;
    }

    private Turnout instance(String name, EtcdServer etcd, TestDnsServer dns) throws Exception {
        return closing(TestProxy.start("dns.resolvers = [\"" + dns.resolver() + "\"]\n"
                + "pools { app { discovery { dns = \"app.test\", port = " + port + ", interval = 1s } } }\n"
                + "routes = [ { name = web, split { app = 100 } } ]\n"
                + "state-file = \"" + dir.resolve(name + ".json") + "\"\n"
                + "state { store = etcd, etcd { endpoints = [\"" + etcd.endpoint() + "\"], prefix = \"/turnout/discovery\", "
                + "instance = " + name + ", timeout = 1s, lease-ttl = 2s } }"));
    }

    private static Map<String, String> states(Turnout turnout) {
        Map<String, String> states = new TreeMap<>();
        turnout.control().pool("app").backends().forEach(b -> states.put(b.id(), b.state()));
        return states;
    }

    @Test
    void eachInstanceFollowsItsOwnAnswerAndOnlyAnAdminDrainIsShared() throws Exception {
        EtcdServer etcd = closing(EtcdServer.start(dir));
        for (String ip : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
            port = closing(FakeBackend.startOn(ip, port, r -> Reply.ok(ip))).port();
        }
        TestDnsServer dnsA = closing(TestDnsServer.start().addresses("app.test", "127.0.0.2", "127.0.0.3"));
        TestDnsServer dnsB = closing(TestDnsServer.start().addresses("app.test", "127.0.0.3", "127.0.0.4"));
        Turnout a = instance("a", etcd, dnsA);
        Turnout b = instance("b", etcd, dnsB);
        String two = "127.0.0.2:" + port;
        String three = "127.0.0.3:" + port;
        String four = "127.0.0.4:" + port;
        assertEquals(Map.of(two, "active", three, "active"), states(a));
        assertEquals(Map.of(three, "active", four, "active"), states(b));
        // Both have joined the fleet (each publishes its counts to etcd): the store takes changes.
        Await.until("a and b see each other", () -> a.control().backend("app", three).fleet().size() == 2
                && b.control().backend("app", three).fleet().size() == 2);

        HttpResponse<String> drained = AdminCalls.send(a, "POST", "/api/v1/pools/app/backends/" + three + "/drain", null);
        assertEquals(200, drained.statusCode(), drained.body());

        Await.until("b honours a's drain", () -> states(b).get(three).equals("drained"));
        int questions = dnsB.questions();
        Await.until("b looks up again", () -> dnsB.questions() >= questions + 2);
        assertEquals(Map.of(two, "active", three, "drained"), states(a), "a never takes b's addresses");
        assertEquals(Map.of(three, "drained", four, "active"), states(b), "b never takes a's addresses");
        assertEquals(List.of(true, true), b.control().pool("app").backends().stream().map(BackendView::discovered).toList());
        JsonNode saved = JSON.readTree(Files.readString(dir.resolve("b.json"))).path("pools").path("app").path("backends");
        assertEquals(1, saved.size(), "the shared state holds the drain, not the addresses: " + saved);
        assertEquals(three + " draining discovered", saved.get(0).path("id").asText() + " " + saved.get(0).path("state").asText()
                + " " + saved.get(0).path("origin").asText());
    }
}
