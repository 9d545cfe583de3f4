package dev.turnout.proxy.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.TestProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin keys of the configuration reach the admin listener of a real {@link Turnout}: the Host
 * names of {@code turnout.admin.hosts}, and the named tokens of {@code turnout.admin.tokens} with
 * their roles. The admin-api module's tests cover each rule in detail.
 */
class HardeningAdminAccessTest {

    private static final String DRAIN = "/api/v1/pools/app/backends/b0/drain";

    @TempDir
    Path dir;

    private Path tokenFile(String name, String token) throws Exception {
        Path file = Files.writeString(dir.resolve(name), token + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static Wire.Result call(Turnout proxy, String method, String path, String host, String token) throws Exception {
        String authorization = token == null ? "" : "Authorization: Bearer " + token + "\r\n";
        return Wire.exchange(proxy.adminAddress(), method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + authorization + "Content-Length: 0\r\nConnection: close\r\n\r\n");
    }

    private static String state(Turnout proxy) {
        return proxy.control().backend("app", "b0").state();
    }

    @Test
    void theConfiguredHostNamesAreAnsweredAndNoOthers() throws Exception {
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start("admin { listen = \"127.0.0.1:0\", hosts = [\"Admin.Example\"] }\n"
                        + backend.singlePool())) {
            assertEquals(421, call(proxy, "POST", DRAIN, "evil.example", null).status());
            assertEquals("active", state(proxy));
            assertEquals(200, call(proxy, "GET", "/healthz", "admin.example:9090", null).status());
            assertEquals(200, call(proxy, "POST", DRAIN, "admin.example", null).status());
            assertEquals("drained", state(proxy));
        }
    }

    @Test
    void namedTokensFromFilesCarryTheirRoles() throws Exception {
        Path deploy = tokenFile("deploy.token", "deploy-Token");
        Path grafana = tokenFile("grafana.token", "grafana-Token");
        try (StrictBackend backend = StrictBackend.start();
                Turnout proxy = TestProxy.start("admin { listen = \"127.0.0.1:0\", tokens = [ "
                        + "{ name = deploy, token-file = \"" + deploy + "\", role = operate }, "
                        + "{ name = grafana, token-file = \"" + grafana + "\", role = read } ] }\n" + backend.singlePool())) {
            assertEquals(401, call(proxy, "GET", "/api/v1/pools", "127.0.0.1", null).status());
            assertEquals(200, call(proxy, "GET", "/api/v1/pools", "127.0.0.1", "grafana-Token").status());
            Wire.Result refused = call(proxy, "POST", DRAIN, "127.0.0.1", "grafana-Token");
            assertEquals(403, refused.status(), refused::toString);
            assertTrue(refused.raw().contains("\"error\""), refused::toString);
            assertEquals("active", state(proxy));

            assertEquals(200, call(proxy, "POST", DRAIN, "127.0.0.1", "deploy-Token").status());
            assertEquals("drained", state(proxy));
        }
    }
}
