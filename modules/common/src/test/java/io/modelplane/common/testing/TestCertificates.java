package io.modelplane.common.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Certificate authorities and certificates made at test time (no private key is ever committed), written
 * as PEM (certificate chain, PKCS#8 key) or PKCS#12, the way operators hand them to a node.
 */
public final class TestCertificates {
  private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

  private TestCertificates() {}

  /** A key and its certificate (self-signed for a CA). */
  public record Issued(KeyPair keys, X509Certificate certificate, List<X509Certificate> chain) {
    public BigInteger serial() {
      return certificate.getSerialNumber();
    }

    /** The chain as a PEM certificate file and the key as a PKCS#8 PEM file. */
    public void writePem(Path certFile, Path keyFile) {
      writeAtomically(certFile, pem(chain.toArray()));
      try {
        writeAtomically(keyFile, pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate()));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    public void writePkcs12(Path file, String password) {
      try {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", keys.getPrivate(), password.toCharArray(), chain.toArray(X509Certificate[]::new));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
          store.store(out, password.toCharArray());
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** A server-side SSLContext showing this certificate (for test servers such as the JDK's HttpsServer). */
    public SSLContext serverContext() {
      try {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", keys.getPrivate(), new char[0], chain.toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** A leaf certificate signed by this CA, valid for {@code names} (DNS names or IP addresses). */
    public Issued issue(String commonName, String keyAlgorithm, String... names) {
      return TestCertificates.issue(this, commonName, keyAlgorithm, false, names);
    }

    public void writeCertificate(Path file) {
      writeAtomically(file, pem(certificate));
    }
  }

  /** A self-signed certificate authority with an RSA key. */
  public static Issued authority(String name) {
    return issue(null, name, "RSA", true);
  }

  private static Issued issue(Issued ca, String commonName, String keyAlgorithm, boolean isCa, String... names) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(keyAlgorithm);
      generator.initialize(keyAlgorithm.equals("EC") ? 256 : 2048, new SecureRandom());
      KeyPair keys = generator.generateKeyPair();
      Instant now = Instant.now();
      X500Name subject = new X500Name("CN=" + commonName);
      X500Name issuer = ca == null ? subject : new X500Name(ca.certificate().getSubjectX500Principal().getName());
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
          BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
          Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
      if (isCa) {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      }
      if (names.length > 0) {
        List<GeneralName> sans = new ArrayList<>();
        for (String name : names) {
          sans.add(Character.isDigit(name.charAt(0)) || name.contains(":")
              ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(name).getHostAddress())
              : new GeneralName(GeneralName.dNSName, name));
        }
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      PrivateKey signer = ca == null ? keys.getPrivate() : ca.keys().getPrivate();
      String signature = signer.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      X509Certificate certificate = new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder(signature).build(signer)));
      List<X509Certificate> chain = new ArrayList<>(List.of(certificate));
      if (ca != null) {
        chain.addAll(ca.chain());
      }
      return new Issued(keys, certificate, List.copyOf(chain));
    } catch (Exception e) {
      throw new IllegalStateException("cannot make a test certificate", e);
    }
  }

  private static String pem(Object... objects) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      for (Object o : objects) {
        if (o instanceof PemObject p) {
          writer.writeObject(p);
        } else {
          writer.writeObject(o);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return text.toString();
  }

  /** Replaces the file in one step, as Kubernetes does when a Secret changes. */
  public static void writeAtomically(Path file, String text) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
