package dev.turnout.proxy.tls;

import io.netty.handler.ssl.OpenSslCredential;
import io.netty.handler.ssl.OpenSslCredentialBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Several certificates for the same names, each with its own kind of key (an ECDSA one beside an
 * RSA one), behind one TLS context that shows each client one it can use. On OpenSSL each
 * certificate becomes a BoringSSL credential ({@link #credential(int)}) and BoringSSL shows the
 * first, in the order they were added, that the client can use. On the JDK's engine this key
 * manager is asked instead, once per key type in the order of the client's signature algorithms,
 * so there a TLS 1.3 client that lists RSA first gets the RSA one. Keys are unencrypted PKCS#8
 * PEM ({@code BEGIN PRIVATE KEY}; {@code openssl pkcs8 -topk8 -nocrypt} converts others).
 */
final class CertifiedKeys extends X509ExtendedKeyManager {

    private final List<PrivateKey> keys = new ArrayList<>();
    private final List<X509Certificate[]> chains = new ArrayList<>();

    /** Adds a certificate chain and its key; throws with what is wrong with either file. */
    void add(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(certFile)) {
            CertificateFactory.getInstance("X.509").generateCertificates(in)
                    .forEach(certificate -> chain.add((X509Certificate) certificate));
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException(certFile + " holds no certificate");
        }
        keys.add(privateKey(keyFile, chain.get(0).getPublicKey().getAlgorithm()));
        chains.add(chain.toArray(X509Certificate[]::new));
    }

    private static PrivateKey privateKey(Path keyFile, String algorithm) throws IOException, GeneralSecurityException {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new GeneralSecurityException(keyFile + " is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException(keyFile + " is not valid base64 inside its PEM markers", e);
        }
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    /** The {@code index}th certificate added, as a BoringSSL credential that the caller releases. */
    OpenSslCredential credential(int index) {
        return OpenSslCredentialBuilder.forX509(keys.get(index), chains.get(index)).build();
    }

    /** The first key of {@code keyType} ("RSA", "EC"...), by its index as an alias. */
    private String alias(String keyType) {
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i).getAlgorithm().equalsIgnoreCase(keyType)
                    || (keyType.startsWith("RSA") && keys.get(i).getAlgorithm().equals("RSA"))) {
                return Integer.toString(i);
            }
        }
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return alias(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return alias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = alias(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return chains.get(Integer.parseInt(alias)).clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return keys.get(Integer.parseInt(alias));
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
