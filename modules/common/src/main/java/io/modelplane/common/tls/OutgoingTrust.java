package io.modelplane.common.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Whom the node's outgoing HTTPS calls (Keycloak, its JWKS, S3) trust: the JDK's default certificate
 * authorities plus, optionally, the operator's own CA (a PEM file, e.g. a company CA). Certificates and
 * host names are always verified.
 */
public final class OutgoingTrust {
  private final X509TrustManager trustManager;
  private final SSLContext sslContext;
  private final Optional<Path> extraCa;

  private OutgoingTrust(X509TrustManager trustManager, Optional<Path> extraCa) {
    this.trustManager = trustManager;
    this.extraCa = extraCa;
    try {
      this.sslContext = SSLContext.getInstance("TLS");
      sslContext.init(null, new TrustManager[] {trustManager}, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM", e);
    }
  }

  /** The JDK's default trust only. */
  public static OutgoingTrust jdkDefaults() {
    return new OutgoingTrust(defaultTrustManager(null), Optional.empty());
  }

  /** The JDK's default authorities plus the CA certificates in {@code caPem} (null or blank: none). */
  public static OutgoingTrust withExtraCa(Path caPem) {
    if (caPem == null) {
      return jdkDefaults();
    }
    List<X509Certificate> cas = Pem.certificates(caPem);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate ca : cas) {
        store.setCertificateEntry("extra-" + i++, ca);
      }
      X509TrustManager extra = defaultTrustManager(store);
      return new OutgoingTrust(new EitherTrustManager(defaultTrustManager(null), extra), Optional.of(caPem));
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsFileException("cannot use the CA certificates of " + caPem + ": " + e.getMessage());
    }
  }

  public X509TrustManager trustManager() {
    return trustManager;
  }

  /** A client SSLContext with this trust (and no client certificate). */
  public SSLContext sslContext() {
    return sslContext;
  }

  /** The operator's CA file, when one is added to the JDK's defaults. */
  public Optional<Path> extraCa() {
    return extraCa;
  }

  private static X509TrustManager defaultTrustManager(KeyStore store) {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JDK has no X.509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's trust store cannot be read: " + e.getMessage(), e);
    }
  }

  /** Trusts a server chain that either the JDK's authorities or the extra CA vouch for. */
  private static final class EitherTrustManager extends X509ExtendedTrustManager {
    private final X509TrustManager jdk;
    private final X509TrustManager extra;

    EitherTrustManager(X509TrustManager jdk, X509TrustManager extra) {
      this.jdk = jdk;
      this.extra = extra;
    }

    private interface Check {
      void run(X509TrustManager tm) throws CertificateException;
    }

    private void either(X509Certificate[] chain, Check check) throws CertificateException {
      try {
        check.run(jdk);
      } catch (CertificateException first) {
        try {
          check.run(extra);
        } catch (CertificateException second) {
          // report the refusal of the one that knows the chain's issuer (a wrong host name, say)
          CertificateException shown = issuedByExtra(chain) ? second : first;
          shown.addSuppressed(shown == first ? second : first);
          throw shown;
        }
      }
    }

    private boolean issuedByExtra(X509Certificate[] chain) {
      if (chain == null || chain.length == 0) {
        return false;
      }
      X509Certificate top = chain[chain.length - 1];
      return Arrays.stream(extra.getAcceptedIssuers())
          .anyMatch(ca -> ca.getSubjectX500Principal().equals(top.getIssuerX500Principal()));
    }

    private static X509ExtendedTrustManager ext(X509TrustManager tm) {
      return (X509ExtendedTrustManager) tm; // the JDK's default (PKIX) one is extended
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      either(chain, tm -> tm.checkClientTrusted(chain, authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      either(chain, tm -> tm.checkServerTrusted(chain, authType));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      either(chain, tm -> ext(tm).checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      // the extended checks verify the host name against the certificate
      either(chain, tm -> ext(tm).checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      either(chain, tm -> ext(tm).checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      either(chain, tm -> ext(tm).checkServerTrusted(chain, authType, engine));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      X509Certificate[] a = jdk.getAcceptedIssuers();
      X509Certificate[] b = extra.getAcceptedIssuers();
      X509Certificate[] all = Arrays.copyOf(a, a.length + b.length);
      System.arraycopy(b, 0, all, a.length, b.length);
      return all;
    }
  }
}
