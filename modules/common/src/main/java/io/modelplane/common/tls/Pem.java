package io.modelplane.common.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM files: certificate chains and unencrypted PKCS#8 private keys (RSA or EC). Failures are
 * {@link TlsFileException}s that name the file and what is wrong, never its content.
 */
public final class Pem {
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  private Pem() {}

  /** The certificates of {@code file} in order (a server's chain: its own first). */
  public static List<X509Certificate> certificates(Path file) {
    byte[] bytes = read(file, "certificate");
    try {
      List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bytes)).stream()
          .map(X509Certificate.class::cast).toList();
      if (chain.isEmpty()) {
        throw new TlsFileException(file + " holds no certificate (expected PEM blocks \"BEGIN CERTIFICATE\")");
      }
      return chain;
    } catch (CertificateException e) {
      throw new TlsFileException(file + " is not a PEM certificate file: " + e.getMessage());
    }
  }

  /** The private key of {@code file}: a PEM "PRIVATE KEY" block (PKCS#8, not encrypted), RSA or EC. */
  public static PrivateKey privateKey(Path file) {
    String text = new String(read(file, "private key"), StandardCharsets.US_ASCII);
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String type = m.group(1);
      if (type.equals("PRIVATE KEY")) {
        byte[] der;
        try {
          der = Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
          throw new TlsFileException(file + ": the private key block is not valid base64");
        }
        for (String algorithm : List.of("RSA", "EC")) {
          try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
          } catch (GeneralSecurityException e) {
            // try the next algorithm
          }
        }
        throw new TlsFileException(file + " holds a PKCS#8 key that is neither RSA nor EC");
      }
      if (type.equals("RSA PRIVATE KEY") || type.equals("EC PRIVATE KEY") || type.equals("ENCRYPTED PRIVATE KEY")) {
        throw new TlsFileException(file + " holds an \"" + type + "\" block; convert it to an unencrypted PKCS#8"
            + " \"PRIVATE KEY\" (openssl pkcs8 -topk8 -nocrypt -in old.key -out new.key)");
      }
    }
    throw new TlsFileException(file + " holds no PEM \"BEGIN PRIVATE KEY\" block");
  }

  private static byte[] read(Path file, String what) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TlsFileException("cannot read the " + what + " file " + file + ": "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
    }
  }
}
