package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.control.RuntimeControl;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.EtcdServer;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload in fleet mode is one instance's: it reads that instance's own file, keeps the fleet's runtime
 * state (a drain made elsewhere), writes nothing to etcd, and the fleet's later changes are laid over the
 * reloaded file.
 */
class FleetReloadTest {

    private static final Duration PROPAGATION = Duration.ofSeconds(1);

    @TempDir
    static Path dir;

    private static EtcdServer etcd;
    private final List<Turnout> fleet = new ArrayList<>();
    private final List<FakeBackend> backends = new ArrayList<>();

    @BeforeAll
    static void startEtcd() throws IOException {
        etcd = EtcdServer.start(dir);
    }

    @AfterAll
    static void stopEtcd() throws InterruptedException {
        if (etcd != null) {
            etcd.close();
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Turnout turnout : fleet) {
            turnout.close();
        }
        for (FakeBackend backend : backends) {
            backend.close();
        }
    }

    private FakeBackend backend(String name) throws InterruptedException {
        FakeBackend backend = FakeBackend.start(Reply.ok(name));
        backends.add(backend);
        return backend;
    }

    private static String hocon(String instance, String pools, String routes) {
        return "pools { " + pools + " }\nroutes = [ " + routes + " ]\n"
                + "state-file = \"" + dir.resolve("reload-" + instance + ".json") + "\"\n"
                + "state { store = etcd, etcd { endpoints = [\"" + etcd.endpoint() + "\"], prefix = \"/turnout/reload\", "
                + "instance = " + instance + ", timeout = 1s, lease-ttl = 2s } }";
    }

    private static String get(Turnout turnout, String path) throws IOException {
        try (RawClient client = RawClient.connect(turnout.address())) {
            return client.get("a.test", path).bodyText();
        }
    }

    private static String state(Turnout turnout, String id) {
        return turnout.control().backend("app", id).state();
    }

    private static HttpResponse<String> admin(Turnout turnout, String method, String path, String body) {
        return AdminCalls.send(turnout, method, path, body);
    }

    @Test
    void aReloadKeepsTheFleetsStateWritesNothingSharedAndLaterChangesLayOverTheNewFile() throws Exception {
        FakeBackend app1 = backend("app1");
        FakeBackend app2 = backend("app2");
        FakeBackend api1 = backend("api1");
        String app = "app { backends = [ " + TestProxy.backend("app1", app1, 1) + ", " + TestProxy.backend("app2", app2, 1)
                + " ] }";
        String web = "{ name = web, split { app = 100 } }";
        Path fileA = dir.resolve("a.conf");
        Turnout a = TestProxy.startFromFile(fileA, hocon("a", app, web));
        fleet.add(a);
        Turnout b = TestProxy.startFromFile(dir.resolve("b.conf"), hocon("b", app, web));
        fleet.add(b);
        Await.until("a and b see each other", () -> a.control().backend("app", "app1").fleet().size() == 2
                && b.control().backend("app", "app1").fleet().size() == 2);
        assertEquals(200, admin(b, "POST", "/api/v1/pools/app/backends/app1/drain", null).statusCode());
        Await.until("a applies b's drain", PROPAGATION, () -> !state(a, "app1").equals("active"));
        long sharedRevision = ((RuntimeControl) b.control()).appliedRevision();

        TestProxy.write(fileA, hocon("a", app + "\napi { backends = [ " + TestProxy.backend("api1", api1, 1) + " ] }",
                "{ name = api, path-prefix = \"/api\", split { api = 100 } }, " + web));
        HttpResponse<String> reloaded = admin(a, "POST", "/api/v1/config/reload", null);

        assertEquals(200, reloaded.statusCode(), reloaded.body());
        assertEquals("api1", get(a, "/api/x"), "a routes by its new file");
        assertEquals("drained", state(a, "app1"), "the fleet's drain is kept");
        assertEquals("app2", get(b, "/api/x"), "b keeps its own file");
        assertEquals(sharedRevision, ((RuntimeControl) a.control()).appliedRevision(), "a wrote nothing to etcd");
        assertEquals(sharedRevision, ((RuntimeControl) b.control()).appliedRevision(), "b saw no change from a's reload");

        // A change made through b is laid over a's new file: a keeps its new route and pool.
        assertEquals(200, admin(b, "PUT", "/api/v1/pools/app/backends/app2/weight", "{\"weight\":5}").statusCode());
        Await.until("a applies b's weight", PROPAGATION, () -> a.control().backend("app", "app2").weight() == 5);
        assertEquals("api1", get(a, "/api/x"));
        assertEquals("drained", state(a, "app1"));

        // And a change made through a reaches b, which keeps its own file (no api pool or route there).
        assertEquals(200, admin(a, "POST", "/api/v1/pools/app/backends/app1/enable", null).statusCode());
        Await.until("b applies a's enable", PROPAGATION, () -> state(b, "app1").equals("active"));
        assertEquals(5, b.control().backend("app", "app2").weight());
        assertEquals(1, b.control().routes().size());
        assertTrue(b.control().pools().stream().noneMatch(p -> p.name().equals("api")));
    }
}
