package io.modelplane.app;

import com.typesafe.config.Config;
import io.modelplane.api.tls.ServerTls;
import io.modelplane.common.tls.OutgoingTrust;
import io.modelplane.common.tls.Pem;
import io.modelplane.common.tls.TlsFileException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's TLS settings, {@code modelplane.tls.*}: the HTTP API's certificate (PEM or PKCS#12), the
 * cluster's mutual TLS between nodes (PEM, one cluster CA) and the extra CA outgoing calls trust. Settings
 * that are half given or name files that cannot be used stop the start.
 */
record NodeTls(Optional<ServerTls.Source> http, Duration reloadInterval, boolean http2, Optional<Cluster> cluster,
    Optional<Path> trustedCa) {
  private static final Logger log = LoggerFactory.getLogger(NodeTls.class);

  /** The node's certificate and key for Artery's mutual TLS, and the CA every node's certificate comes from. */
  record Cluster(Path certificate, Path key, Path ca) {}

  /** Artery's cipher suites: TLS 1.2, ECDHE with AES-GCM, for the RSA keys of the cluster certificates. */
  static final List<String> CLUSTER_CIPHER_SUITES = List.of(
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");

  static NodeTls fromConfig(Config root) {
    Config c = root.getConfig("modelplane.tls");
    String cert = c.getString("cert").trim();
    String key = c.getString("key").trim();
    String keystore = c.getString("keystore").trim();
    String password = c.getString("keystore-password");
    if (cert.isEmpty() != key.isEmpty()) {
      throw new RefusedSettingException("MODELPLANE_TLS_CERT and MODELPLANE_TLS_KEY go together: "
          + (cert.isEmpty() ? "MODELPLANE_TLS_KEY is set but MODELPLANE_TLS_CERT (the PEM certificate chain) is not"
              : "MODELPLANE_TLS_CERT is set but MODELPLANE_TLS_KEY (the PEM private key) is not"));
    }
    if (!keystore.isEmpty() && !cert.isEmpty()) {
      throw new RefusedSettingException("give the HTTPS certificate either as PEM (MODELPLANE_TLS_CERT and"
          + " MODELPLANE_TLS_KEY) or as PKCS#12 (MODELPLANE_TLS_KEYSTORE), not both");
    }
    if (keystore.isEmpty() && !password.isEmpty()) {
      throw new RefusedSettingException("MODELPLANE_TLS_KEYSTORE_PASSWORD is set but MODELPLANE_TLS_KEYSTORE (the"
          + " PKCS#12 file) is not");
    }
    Optional<ServerTls.Source> http = !cert.isEmpty() ? Optional.of(new ServerTls.PemFiles(Path.of(cert), Path.of(key)))
        : !keystore.isEmpty() ? Optional.of(new ServerTls.Pkcs12File(Path.of(keystore), password)) : Optional.empty();
    Duration reload = c.getDuration("reload-interval");
    if (reload.isNegative() || reload.isZero()) {
      throw new RefusedSettingException("MODELPLANE_TLS_RELOAD_INTERVAL must be positive; it is "
          + c.getString("reload-interval"));
    }
    boolean http2 = c.getBoolean("http2");
    if (http2 && http.isEmpty()) {
      throw new RefusedSettingException("MODELPLANE_HTTP2 needs HTTPS (HTTP/2 is negotiated during the TLS handshake):"
          + " set MODELPLANE_TLS_CERT and MODELPLANE_TLS_KEY, or MODELPLANE_TLS_KEYSTORE");
    }
    return new NodeTls(http, reload, http2, cluster(c.getConfig("cluster")), path(c.getString("trusted-ca")));
  }

  private static Optional<Cluster> cluster(Config c) {
    Map<String, String> given = new java.util.LinkedHashMap<>();
    given.put("MODELPLANE_CLUSTER_TLS_CERT", c.getString("cert").trim());
    given.put("MODELPLANE_CLUSTER_TLS_KEY", c.getString("key").trim());
    given.put("MODELPLANE_CLUSTER_TLS_CA", c.getString("ca").trim());
    List<String> missing = given.entrySet().stream()
        .filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
    if (missing.size() == given.size()) {
      return Optional.empty();
    }
    if (!missing.isEmpty()) {
      throw new RefusedSettingException("cluster TLS needs all of MODELPLANE_CLUSTER_TLS_CERT,"
          + " MODELPLANE_CLUSTER_TLS_KEY and MODELPLANE_CLUSTER_TLS_CA; missing: " + String.join(", ", missing));
    }
    return Optional.of(new Cluster(Path.of(given.get("MODELPLANE_CLUSTER_TLS_CERT")),
        Path.of(given.get("MODELPLANE_CLUSTER_TLS_KEY")), Path.of(given.get("MODELPLANE_CLUSTER_TLS_CA"))));
  }

  private static Optional<Path> path(String value) {
    return value.isBlank() ? Optional.empty() : Optional.of(Path.of(value.trim()));
  }

  /**
   * Reads every file named now, so that a node with a missing or broken certificate does not start: the HTTP
   * certificate (returned, or null for plain HTTP), the cluster's files and the extra CA.
   */
  ServerTls loadHttp() {
    try {
      cluster.ifPresent(NodeTls::checkCluster);
      trustedCa.ifPresent(Pem::certificates);
      return http.map(ServerTls::load).orElse(null);
    } catch (TlsFileException e) {
      throw new RefusedSettingException(e.getMessage());
    }
  }

  private static void checkCluster(Cluster cluster) {
    Pem.certificates(cluster.certificate());
    Pem.certificates(cluster.ca());
    if (!(Pem.privateKey(cluster.key()) instanceof RSAPrivateKey)) {
      throw new TlsFileException("the cluster key " + cluster.key()
          + " (MODELPLANE_CLUSTER_TLS_KEY) must be an RSA key");
    }
  }

  /** Whom outgoing HTTPS calls trust: the JDK's authorities, plus MODELPLANE_TRUSTED_CA when given. */
  OutgoingTrust outgoingTrust() {
    try {
      return OutgoingTrust.withExtraCa(trustedCa.orElse(null));
    } catch (TlsFileException e) {
      throw new RefusedSettingException(e.getMessage());
    }
  }

  /**
   * Artery over TLS when cluster TLS is set: both ends show a certificate from the cluster CA whose subject
   * names share one name with their own (Akka's {@code RotatingKeysSSLEngineProvider}, which also re-reads
   * the files, so rotated certificates are used without a restart).
   */
  Map<String, Object> akkaSettings() {
    Map<String, Object> akka = new HashMap<>();
    cluster.ifPresent(c -> {
      String engine = "akka.remote.artery.ssl.rotating-keys-engine.";
      akka.put("akka.remote.artery.transport", "tls-tcp");
      akka.put("akka.remote.artery.ssl.ssl-engine-provider", "akka.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider");
      akka.put(engine + "cert-file", c.certificate().toAbsolutePath().toString());
      akka.put(engine + "key-file", c.key().toAbsolutePath().toString());
      akka.put(engine + "ca-cert-file", c.ca().toAbsolutePath().toString());
      akka.put(engine + "protocol", "TLSv1.2");
      akka.put(engine + "enabled-algorithms", CLUSTER_CIPHER_SUITES);
    });
    return akka;
  }

  /** A warning for each of the API and the cluster port that other machines reach without TLS. */
  void warnIfPlainAndReachable(boolean servesApi, String httpHost, String clusterHost) {
    // a node without the gateway role serves only its health endpoints over HTTP
    if (servesApi && http.isEmpty() && !loopback(httpHost)) {
      log.warn("the HTTP API listens on {} without TLS: API keys, tokens and predictions cross the network in clear"
          + " text; set MODELPLANE_TLS_CERT and MODELPLANE_TLS_KEY (or MODELPLANE_TLS_KEYSTORE), or terminate TLS"
          + " in front of the node", httpHost);
    }
    if (cluster.isEmpty() && !loopback(clusterHost)) {
      log.warn("cluster traffic to and from {} is not encrypted: set MODELPLANE_CLUSTER_TLS_CERT, _KEY and _CA"
          + " (mutual TLS with the cluster CA) so that only nodes holding a cluster certificate can join", clusterHost);
    }
  }

  static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
