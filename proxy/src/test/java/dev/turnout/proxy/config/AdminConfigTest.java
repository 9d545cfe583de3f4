package dev.turnout.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.admin.AdminToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code turnout.admin}: the listener, its tokens (given, from files, named with roles), Host names, insecure, TLS. */
class AdminConfigTest {

    @TempDir
    Path dir;

    private static AdminConfig admin(String body) {
        return ConfigLoader.parse("turnout { admin { " + body + " } }").admin();
    }

    private Path file(String name, String content, String permissions) throws IOException {
        Path file = Files.writeString(dir.resolve(name), content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static ConfigError refused(String body) {
        return assertThrows(ConfigError.class, () -> admin(body));
    }

    @Test
    void theDefaultsAreLoopbackWithoutTokensHostsOrTls() {
        AdminConfig admin = admin("");

        assertEquals("127.0.0.1", admin.listen().host(), "the port is the tests' own, from the build's -D");
        assertEquals(List.of(), admin.tokens());
        assertEquals(List.of(), admin.hosts());
        assertFalse(admin.insecure());
        assertNull(admin.tls());
    }

    @Test
    void theSampleConfigurationsAdminBlockLoads() {
        Path sample = Path.of(System.getProperty("user.dir")).getParent().resolve("conf/turnout.conf");

        AdminConfig admin = ConfigLoader.load(sample.toFile()).admin();

        assertEquals(List.of(), admin.hosts());
        assertFalse(admin.insecure());
    }

    @Test
    void theTokenAndNamedTokenFilesAreReadWithTheirRoles() throws IOException {
        Path deploy = file("deploy.token", "d\n", "rw-------");
        Path grafana = file("grafana.token", "g\n", "r--------");

        AdminConfig admin = admin("token = inline, tokens = [ { name = deploy, token-file = \"" + deploy
                + "\", role = operate }, { name = grafana, token-file = \"" + grafana + "\", role = read } ]");

        assertEquals(List.of(AdminToken.of("admin", AdminToken.Role.OPERATE, "inline"),
                AdminToken.fromFile("deploy", AdminToken.Role.OPERATE, deploy),
                AdminToken.fromFile("grafana", AdminToken.Role.READ, grafana)), admin.tokens());
    }

    @Test
    void aTokenFileIsTheSingleTokenNamedAdmin() throws IOException {
        Path token = file("admin.token", "t\n", "rw-------");

        assertEquals(List.of(AdminToken.fromFile("admin", AdminToken.Role.OPERATE, token)),
                admin("token-file = \"" + token + "\"").tokens());
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"rw-r--r--", "rw-r-----", "rw----r--"})
    void aTokenFileOthersCanReadIsRefusedNamingTheKey(String permissions) throws IOException {
        Path token = file("admin.token", "t\n", permissions);

        ConfigError error = refused("token-file = \"" + token + "\"");

        assertTrue(error.getMessage().startsWith("turnout.admin.token-file: \"" + token + "\" (expected: "), error.getMessage());
        assertTrue(error.getMessage().contains("readable by group or others"), error.getMessage());
    }

    @Test
    void aNamedTokenFileOthersCanReadIsRefusedNamingItsEntry() throws IOException {
        Path token = file("grafana.token", "t\n", "rw-rw-rw-");

        ConfigError error = refused("tokens = [ { name = grafana, token-file = \"" + token + "\", role = read } ]");

        assertTrue(error.getMessage().startsWith("turnout.admin.tokens[0].token-file: "), error.getMessage());
    }

    @Test
    void badTokenEntriesAreRefusedNamingTheKey() throws IOException {
        Path token = file("t.token", "t\n", "rw-------");
        String entry = "tokens = [ { name = %s, token-file = \"" + token + "\", role = %s } ]";

        assertTrue(refused(entry.formatted("ci", "admin")).getMessage().startsWith("turnout.admin.tokens[0].role: "));
        assertTrue(refused(entry.formatted("admin", "read")).getMessage().startsWith("turnout.admin.tokens[0].name: "));
        assertTrue(refused(entry.formatted("\"a b\"", "read")).getMessage().startsWith("turnout.admin.tokens[0].name: "));
        assertTrue(refused("tokens = [ { name = ci, role = read } ]").getMessage()
                .startsWith("turnout.admin.tokens[0].token-file: missing"));
        assertTrue(refused("token-file = \"" + dir.resolve("missing") + "\"").getMessage()
                .startsWith("turnout.admin.token-file: "));
        assertTrue(refused("token = x, token-file = \"" + token + "\"").getMessage()
                .startsWith("turnout.admin.token-file: "));
        assertTrue(refused("tokens = [ { name = ci, token-file = \"" + token + "\", role = read, value = x } ]")
                .getMessage().startsWith("turnout.admin.tokens[0].value: unknown key"));
    }

    @Test
    void hostsAreNamesInLowerCase() {
        assertEquals(List.of("turnout-1.internal", "edge.example.com"),
                admin("hosts = [\"turnout-1.internal\", \"Edge.Example.com\"]").hosts());
        assertTrue(refused("hosts = [\"edge:9090\"]").getMessage().startsWith("turnout.admin.hosts: \"edge:9090\""));
        assertTrue(refused("hosts = \"edge\"").getMessage().startsWith("turnout.admin.hosts: "));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"0.0.0.0:9090", "[::]:9090"})
    void offLoopbackWithoutATokenIsRefusedNamingListenAndToken(String listen) {
        ConfigError error = refused("listen = \"" + listen + "\"");

        assertTrue(error.getMessage().startsWith("turnout.admin.listen: \"" + listen + "\" (expected: "), error.getMessage());
        assertTrue(error.getMessage().contains("turnout.admin.token"), error.getMessage());
        assertTrue(error.getMessage().contains("turnout.admin.insecure"), error.getMessage());
    }

    @Test
    void offLoopbackIsAllowedWithATokenOrWhenInsecureIsChosen() throws IOException {
        assertEquals(1, admin("listen = \"0.0.0.0:9090\", token = t").tokens().size());
        assertTrue(admin("listen = \"0.0.0.0:9090\", insecure = true").insecure());
        assertEquals(List.of(), admin("listen = \"localhost:9090\"").tokens(), "a name for loopback is loopback");
    }

    @Test
    void tlsNamesItsFilesAndClientCaMakesItMutual() throws IOException {
        Path cert = file("admin.crt", "x", "rw-r--r--");
        Path key = file("admin.key", "x", "rw-------");
        Path ca = file("clients.crt", "x", "rw-r--r--");

        AdminConfig mutual = admin("listen = \"0.0.0.0:9443\", tls { cert = \"" + cert + "\", key = \"" + key
                + "\", client-ca = \"" + ca + "\" }");

        assertEquals(new AdminConfig.Tls(cert, key, ca), mutual.tls());
        assertEquals(List.of(), mutual.tokens(), "client certificates authenticate: no token needed off loopback");
        assertNull(admin("tls { cert = \"" + cert + "\", key = \"" + key + "\" }").tls().clientCa());
        assertTrue(refused("listen = \"0.0.0.0:9443\", tls { cert = \"" + cert + "\", key = \"" + key + "\" }")
                .getMessage().startsWith("turnout.admin.listen: "), "TLS alone does not say who the caller is");
        assertTrue(refused("tls { cert = \"" + cert + "\" }").getMessage().startsWith("turnout.admin.tls.key: missing"));
        assertTrue(refused("tls { cert = \"" + cert + "\", key = \"" + key + "\", client-ca = \"" + dir.resolve("none")
                + "\" }").getMessage().startsWith("turnout.admin.tls.client-ca: "));
    }
}
