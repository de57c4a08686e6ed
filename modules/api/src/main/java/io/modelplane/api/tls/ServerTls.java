package io.modelplane.api.tls;

import akka.http.javadsl.ConnectionContext;
import akka.http.javadsl.HttpsConnectionContext;
import io.modelplane.common.tls.Pem;
import io.modelplane.common.tls.TlsFileException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the node's TLS: its certificate and key (PEM or PKCS#12), TLS 1.2 and 1.3 only with
 * AEAD cipher suites. {@link #reloadIfChanged()} swaps in a new certificate when the files change: new
 * connections get it, open ones keep theirs, and files that cannot be used leave the current certificate in
 * place. One instance serves the HTTP API ({@link #httpsContext()}) and any other server that takes an
 * {@link SSLContext} or {@link SSLEngine}s (a gRPC server).
 */
public final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  /** The protocol versions served: nothing older than TLS 1.2. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** Forward-secret AEAD suites only (TLS 1.3's, then TLS 1.2's ECDHE with GCM or ChaCha20-Poly1305). */
  public static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /** Where the certificate and key come from: a PEM pair or a PKCS#12 keystore. */
  public sealed interface Source {
    /** The files whose change means a new certificate. */
    List<Path> files();

    /** The environment variables that name the files, for messages. */
    String settingNames();
  }

  /** A PEM certificate chain (the server's own first) and its PKCS#8 private key (RSA or EC). */
  public record PemFiles(Path certificate, Path key) implements Source {
    @Override
    public List<Path> files() {
      return List.of(certificate, key);
    }

    @Override
    public String settingNames() {
      return "MODELPLANE_TLS_CERT / MODELPLANE_TLS_KEY";
    }
  }

  /** A PKCS#12 keystore holding one private key with its certificate chain. */
  public record Pkcs12File(Path keystore, String password) implements Source {
    @Override
    public List<Path> files() {
      return List.of(keystore);
    }

    @Override
    public String settingNames() {
      return "MODELPLANE_TLS_KEYSTORE / MODELPLANE_TLS_KEYSTORE_PASSWORD";
    }

    @Override
    public String toString() {
      return "Pkcs12File[" + keystore + "]"; // never the password
    }
  }

  private final Source source;
  private final SwappingKeyManager keyManager;
  private final SSLContext sslContext;
  private final String[] protocols;
  private final String[] cipherSuites;
  private volatile byte[] fingerprint;

  private ServerTls(Source source, X509ExtendedKeyManager initial, byte[] fingerprint) {
    this.source = source;
    this.keyManager = new SwappingKeyManager(initial);
    this.fingerprint = fingerprint;
    try {
      this.sslContext = SSLContext.getInstance("TLS");
      sslContext.init(new KeyManager[] {keyManager}, null, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM", e);
    }
    SSLParameters supported = sslContext.getSupportedSSLParameters();
    Set<String> protocolsSupported = Set.of(supported.getProtocols());
    Set<String> suitesSupported = Set.of(supported.getCipherSuites());
    this.protocols = PROTOCOLS.stream().filter(protocolsSupported::contains).toArray(String[]::new);
    this.cipherSuites = CIPHER_SUITES.stream().filter(suitesSupported::contains).toArray(String[]::new);
  }

  /**
   * The certificate and key of {@code source}, read now: a missing, unreadable or mismatched file is a
   * {@link TlsFileException} naming the file and the setting.
   */
  public static ServerTls load(Source source) {
    byte[] fingerprint = fingerprint(source);
    return new ServerTls(source, keyManager(source), fingerprint);
  }

  /** An engine for one server connection: TLS 1.2+, the AEAD suites, the server's preference order. */
  public SSLEngine createEngine() {
    SSLEngine engine = sslContext.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setEnabledProtocols(protocols);
    engine.setEnabledCipherSuites(cipherSuites);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setUseCipherSuitesOrder(true);
    engine.setSSLParameters(parameters);
    return engine;
  }

  /** For akka-http's {@code ServerBuilder.enableHttps}: each connection gets a {@link #createEngine()} engine. */
  public HttpsConnectionContext httpsContext() {
    return ConnectionContext.httpsServer(this::createEngine);
  }

  /** The context behind the engines (for servers that configure their own engines, e.g. Netty's). */
  public SSLContext sslContext() {
    return sslContext;
  }

  public List<String> protocols() {
    return List.of(protocols);
  }

  public List<String> cipherSuites() {
    return List.of(cipherSuites);
  }

  /** The certificate new connections are served. */
  public X509Certificate certificate() {
    return keyManager.certificate();
  }

  /**
   * Reads the files again if their content changed and swaps in the new certificate. Returns whether it
   * did; files that cannot be used are logged and the current certificate stays.
   */
  public boolean reloadIfChanged() {
    byte[] now;
    try {
      now = fingerprint(source);
    } catch (TlsFileException e) {
      log.error("TLS certificate not reloaded, still serving serial {}: {}", serial(certificate()), e.getMessage());
      return false;
    }
    if (Arrays.equals(now, fingerprint)) {
      return false;
    }
    try {
      X509ExtendedKeyManager next = keyManager(source);
      keyManager.swap(next);
      fingerprint = now;
      log.info("TLS certificate reloaded from {}: serial {}, subject {}, valid until {}", source.files(),
          serial(certificate()), certificate().getSubjectX500Principal().getName(), certificate().getNotAfter());
      return true;
    } catch (TlsFileException e) {
      // a half-written pair (new cert, old key) is retried on the next check, when its partner has arrived
      log.error("TLS certificate not reloaded, still serving serial {}: {}", serial(certificate()), e.getMessage());
      return false;
    }
  }

  private static String serial(X509Certificate certificate) {
    return certificate.getSerialNumber().toString(16);
  }

  private static byte[] fingerprint(Source source) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path file : source.files()) {
        try {
          sha.update(Files.readAllBytes(file));
        } catch (IOException e) {
          throw new TlsFileException("cannot read " + file + " (" + source.settingNames() + "): "
              + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
        }
      }
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509ExtendedKeyManager keyManager(Source source) {
    KeyStore store;
    char[] password;
    if (source instanceof PemFiles pem) {
      List<X509Certificate> chain = Pem.certificates(pem.certificate());
      PrivateKey key = Pem.privateKey(pem.key());
      if (!matches(key, chain.get(0))) {
        throw new TlsFileException("the private key " + pem.key() + " does not belong to the certificate "
            + pem.certificate() + " (" + pem.settingNames() + ")");
      }
      password = "in-memory".toCharArray(); // protects nothing: the store never leaves memory
      try {
        store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", key, password, chain.toArray(X509Certificate[]::new));
      } catch (GeneralSecurityException | IOException e) {
        throw new TlsFileException("cannot use " + pem.certificate() + " with " + pem.key() + ": " + e.getMessage());
      }
    } else {
      Pkcs12File p12 = (Pkcs12File) source;
      password = p12.password().toCharArray();
      try (InputStream in = Files.newInputStream(p12.keystore())) {
        store = KeyStore.getInstance("PKCS12");
        store.load(in, password);
      } catch (IOException | GeneralSecurityException e) {
        // a wrong password shows as an IOException whose cause is an UnrecoverableKeyException
        boolean wrongPassword = e.getCause() instanceof UnrecoverableKeyException;
        throw new TlsFileException("cannot open the PKCS#12 keystore " + p12.keystore() + " (" + p12.settingNames()
            + "): " + (wrongPassword ? "wrong password" : e instanceof NoSuchFileException
                ? "no such file" : e.getMessage()));
      }
      try {
        if (!hasKey(store)) {
          throw new TlsFileException("the PKCS#12 keystore " + p12.keystore() + " holds no private key entry");
        }
      } catch (GeneralSecurityException e) {
        throw new TlsFileException("cannot read the PKCS#12 keystore " + p12.keystore() + ": " + e.getMessage());
      }
    }
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, password);
      for (KeyManager km : kmf.getKeyManagers()) {
        if (km instanceof X509ExtendedKeyManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JDK has no X.509 key manager");
    } catch (GeneralSecurityException e) {
      throw new TlsFileException("cannot use the key in " + source.files() + " (" + source.settingNames() + "): "
          + e.getMessage());
    }
  }

  private static boolean hasKey(KeyStore store) throws GeneralSecurityException {
    for (String alias : Collections.list(store.aliases())) {
      if (store.isKeyEntry(alias)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code key} signs what {@code certificate}'s public key verifies. */
  private static boolean matches(PrivateKey key, X509Certificate certificate) {
    try {
      String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      byte[] probe = "modelplane".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * The key manager the SSLContext keeps; its delegate is replaced when the certificate changes. A
   * handshake asks for an alias, then for its key and its chain: aliases carry the generation they came
   * from, so a swap in between cannot pair one certificate's key with another's chain.
   */
  private static final class SwappingKeyManager extends X509ExtendedKeyManager {
    private record Generation(int number, X509ExtendedKeyManager keys) {}

    private volatile Generation current;
    private volatile Generation previous;

    SwappingKeyManager(X509ExtendedKeyManager delegate) {
      this.current = new Generation(0, delegate);
      this.previous = current;
    }

    synchronized void swap(X509ExtendedKeyManager next) {
      previous = current;
      current = new Generation(current.number() + 1, next);
    }

    X509Certificate certificate() {
      X509ExtendedKeyManager keys = current.keys();
      for (String type : List.of("RSA", "EC")) {
        String[] aliases = keys.getServerAliases(type, null);
        if (aliases != null && aliases.length > 0) {
          return keys.getCertificateChain(aliases[0])[0];
        }
      }
      throw new IllegalStateException("no server certificate");
    }

    private static String tagged(Generation g, String alias) {
      return alias == null ? null : g.number() + ":" + alias;
    }

    private static String[] tagged(Generation g, String[] aliases) {
      return aliases == null ? null : Arrays.stream(aliases).map(a -> tagged(g, a)).toArray(String[]::new);
    }

    /** The generation an alias came from and the alias it had there; null when neither is still kept. */
    private Map.Entry<X509ExtendedKeyManager, String> untag(String alias) {
      int colon = alias == null ? -1 : alias.indexOf(':');
      if (colon < 0) {
        return null;
      }
      String number = alias.substring(0, colon);
      for (Generation g : List.of(current, previous)) {
        if (String.valueOf(g.number()).equals(number)) {
          return Map.entry(g.keys(), alias.substring(colon + 1));
        }
      }
      return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      Generation g = current;
      return tagged(g, g.keys().getClientAliases(keyType, issuers));
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      Generation g = current;
      return tagged(g, g.keys().chooseClientAlias(keyType, issuers, socket));
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      Generation g = current;
      return tagged(g, g.keys().getServerAliases(keyType, issuers));
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      Generation g = current;
      return tagged(g, g.keys().chooseServerAlias(keyType, issuers, socket));
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      Generation g = current;
      return tagged(g, g.keys().chooseEngineServerAlias(keyType, issuers, engine));
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      Generation g = current;
      return tagged(g, g.keys().chooseEngineClientAlias(keyType, issuers, engine));
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      Map.Entry<X509ExtendedKeyManager, String> found = untag(alias);
      return found == null ? null : found.getKey().getCertificateChain(found.getValue());
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      Map.Entry<X509ExtendedKeyManager, String> found = untag(alias);
      return found == null ? null : found.getKey().getPrivateKey(found.getValue());
    }
  }
}
