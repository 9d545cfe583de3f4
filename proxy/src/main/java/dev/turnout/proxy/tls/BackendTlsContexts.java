package dev.turnout.proxy.tls;

import dev.turnout.proxy.config.ConfigError;
import dev.turnout.proxy.config.PoolConfig;
import dev.turnout.proxy.config.PoolTransport;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client TLS contexts for pools whose backends are reached over TLS, one per distinct transport
 * (pools that say the same share one). Each verifies the backend's certificate against the pool's
 * {@code ca} (the JVM's trust store without one) and the name it was connected by (endpoint
 * identification "HTTPS", as a browser checks a site), shows the client certificate for mutual TLS
 * when the pool has one, and for {@code h2} offers only h2 by ALPN. TLS 1.3 and 1.2 only.
 *
 * <p>Contexts are built from files, so {@link #prepare} builds them when the configuration is
 * loaded, off the event loops; {@link #forTransport} only looks one up.
 */
public final class BackendTlsContexts {

    private static final Logger LOG = LoggerFactory.getLogger(BackendTlsContexts.class);
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final Map<PoolTransport, SslContext> contexts = new ConcurrentHashMap<>();

    /**
     * Builds the context of every pool that uses TLS.
     *
     * @throws ConfigError naming the pool's {@code tls} key when a file cannot be used
     */
    public void prepare(Collection<PoolConfig> pools) {
        for (PoolConfig pool : pools) {
            PoolTransport transport = pool.transport();
            if (transport.tls() == null || contexts.containsKey(transport)) {
                continue;
            }
            try {
                contexts.put(transport, build(transport));
            } catch (SSLException | IllegalArgumentException e) {
                throw new ConfigError("turnout.pools." + pool.name() + ".tls: the files cannot be used (" + rootMessage(e)
                        + "; expected: PEM certificates, and an unencrypted PEM private key for cert)");
            }
            if (!transport.tls().verify()) {
                LOG.warn("pool {}: tls.verify = false, so its backends' certificates are not checked: anyone on the path "
                        + "can read and change its traffic", pool.name());
            }
        }
    }

    /** The context for {@code transport}, which {@link #prepare} built. */
    public SslContext forTransport(PoolTransport transport) {
        SslContext context = contexts.get(transport);
        if (context == null) {
            throw new IllegalStateException("no TLS context prepared for " + transport);
        }
        return context;
    }

    static SslContext build(PoolTransport transport) throws SSLException {
        PoolTransport.Tls tls = transport.tls();
        SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(SslProvider.isAlpnSupported(SslProvider.OPENSSL) ? SslProvider.OPENSSL : SslProvider.JDK)
                .protocols(PROTOCOLS);
        if (!tls.verify()) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        } else {
            builder.endpointIdentificationAlgorithm("HTTPS");
            if (tls.ca() != null) {
                builder.trustManager(tls.ca().toFile());
            }
        }
        if (tls.cert() != null) {
            builder.keyManager(tls.cert().toFile(), tls.key().toFile());
        }
        if (transport.protocol() == PoolTransport.Protocol.H2) {
            builder.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2));
        }
        return builder.build();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
