package dev.turnout.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.ConfigLoader;
import dev.turnout.proxy.config.HealthCheckConfig;
import dev.turnout.proxy.config.PoolConfig;
import dev.turnout.proxy.config.PoolTransport;
import dev.turnout.proxy.config.TurnoutConfig;
import dev.turnout.proxy.testing.TestCertificates;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A pool's protocol and tls as read from the configuration, and the client TLS contexts built from them. */
class BackendTlsContextsTest {

    @TempDir
    static Path dir;

    private static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.withCa(dir);
        certificates.client("/CN=turnout", "client", "ca");
    }

    private static Map<String, PoolConfig> pools(String pools) {
        TurnoutConfig config = ConfigLoader.parse("turnout { pools { " + pools + " } }");
        return config.pools();
    }

    private static String file(String name) {
        return "\"" + certificates.file(name) + "\"";
    }

    @Test
    void protocolAndTlsAreReadWithTheirDefaults() {
        Map<String, PoolConfig> pools = pools("plain { backends = [] }, c { protocol = h2c, backends = [] }, "
                + "h { protocol = h2, backends = [] }, "
                + "t { tls { ca = " + file("ca.crt") + ", server-name = app.internal, cert = " + file("client.crt")
                + ", key = " + file("client.key") + " }, backends = [] }, "
                + "g { protocol = h2c, health-check { type = grpc }, backends = [] }");
        assertSame(PoolTransport.PLAIN_HTTP1, pools.get("plain").transport());
        assertEquals(new PoolTransport(PoolTransport.Protocol.H2C, null), pools.get("c").transport());
        assertEquals(new PoolTransport(PoolTransport.Protocol.H2, new PoolTransport.Tls(null, null, true, null, null)),
                pools.get("h").transport(), "h2 is TLS: the JVM's trust store and the address's host");
        PoolTransport.Tls tls = pools.get("t").transport().tls();
        assertEquals(PoolTransport.Protocol.HTTP_1_1, pools.get("t").transport().protocol());
        assertEquals(certificates.file("ca.crt"), tls.ca());
        assertEquals("app.internal", tls.serverName());
        assertTrue(tls.verify());
        assertEquals(certificates.file("client.key"), tls.key());
        HealthCheckConfig grpc = pools.get("g").healthCheck();
        assertEquals(HealthCheckConfig.GRPC_HEALTH_PATH, grpc.path());
        assertEquals("", grpc.grpcService(), "the server as a whole");
        assertNull(pools("p { health-check { path = /up }, backends = [] }").get("p").healthCheck().grpcService());
    }

    @Test
    void aCaFileWithoutCertificatesIsRefusedNamingTheKey() throws Exception {
        Path notACertificate = Files.writeString(dir.resolve("not-a-ca.pem"), "hello\n");
        ConfigError e = assertThrows(ConfigError.class,
                () -> pools("x { tls { ca = \"" + notACertificate + "\" }, backends = [] }"));
        assertTrue(e.getMessage().startsWith("turnout.pools.x.tls.ca: "), e.getMessage());
    }

    @Test
    void poolsThatSayTheSameShareOneContext() {
        Map<String, PoolConfig> pools = pools("a { protocol = h2, tls.ca = " + file("ca.crt") + ", backends = [] }, "
                + "b { protocol = h2, tls.ca = " + file("ca.crt") + ", backends = [] }, "
                + "c { tls.ca = " + file("ca.crt") + ", backends = [] }, plain { backends = [] }");
        BackendTlsContexts contexts = new BackendTlsContexts();
        contexts.prepare(pools.values());
        SslContext a = contexts.forTransport(pools.get("a").transport());
        assertSame(a, contexts.forTransport(pools.get("b").transport()));
        assertTrue(a.isClient());
        assertEquals(List.of(ApplicationProtocolNames.HTTP_2), a.applicationProtocolNegotiator().protocols(),
                "h2 offers only h2");
        assertTrue(contexts.forTransport(pools.get("c").transport()).applicationProtocolNegotiator().protocols().isEmpty(),
                "HTTP/1.1 over TLS needs no ALPN");
    }

    @Test
    void aKeyThatCannotBeUsedStopsStartUpNamingThePool() throws Exception {
        Path notAKey = Files.writeString(dir.resolve("not-a-key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                + "-----END PRIVATE KEY-----\n");
        Map<String, PoolConfig> pools = pools("x { tls { cert = " + file("client.crt") + ", key = \"" + notAKey + "\" }, "
                + "backends = [] }");
        ConfigError e = assertThrows(ConfigError.class, () -> new BackendTlsContexts().prepare(pools.values()));
        assertTrue(e.getMessage().startsWith("turnout.pools.x.tls: the files cannot be used"), e.getMessage());
    }

    @Test
    void turningVerificationOffIsWarnedAbout() {
        Logger log = (Logger) LoggerFactory.getLogger(BackendTlsContexts.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try {
            new BackendTlsContexts().prepare(pools("lax { tls.verify = false, backends = [] }").values());
            assertEquals(1, lines.list.size());
            assertTrue(lines.list.get(0).getFormattedMessage().startsWith("pool lax: tls.verify = false"),
                    lines.list.get(0).getFormattedMessage());
        } finally {
            log.detachAppender(lines);
        }
    }
}
