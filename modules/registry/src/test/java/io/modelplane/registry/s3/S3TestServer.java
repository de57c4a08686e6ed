package io.modelplane.registry.s3;

import io.modelplane.common.tls.OutgoingTrust;
import io.modelplane.registry.ArtifactStoreSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import javax.net.ssl.TrustManager;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for tests: S3Proxy (org.gaul:s3proxy) with its filesystem blob store,
 * in this JVM on 127.0.0.1 at a free port, signing checked (AWS v2/v4) with keys made for it. Its
 * objects are plain files under {@link #dataDir()}, so a test can damage one behind a store's back.
 */
public final class S3TestServer implements AutoCloseable {
  private static final String REGION = "us-east-1";

  private final Path dataDir;
  private final String accessKey = "test-" + UUID.randomUUID().toString().substring(0, 8);
  private final String secretKey = UUID.randomUUID().toString();
  private final S3Proxy proxy;
  private final String endpoint;
  private final S3Client client;

  private S3TestServer(Path dataDir, Path keystore, String password, OutgoingTrust trust) throws Exception {
    this.dataDir = dataDir;
    S3Proxy.Builder builder = S3Proxy.builder()
        .blobStore(new FilesystemNio2BlobStore(dataDir.toString()))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey);
    if (keystore == null) {
      builder.endpoint(URI.create("http://127.0.0.1:0"));
    } else {
      builder.secureEndpoint(URI.create("https://127.0.0.1:0")).keyStore(keystore.toString(), password);
    }
    this.proxy = builder.build();
    proxy.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline || "FAILED".equals(proxy.getState())) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    this.endpoint = keystore == null ? "http://127.0.0.1:" + proxy.getPort() : "https://127.0.0.1:" + proxy.getSecurePort();
    this.client = S3Client.builder()
        .httpClientBuilder(Apache5HttpClient.builder()
            .tlsTrustManagersProvider(() -> new TrustManager[] {trust.trustManager()}))
        .endpointOverride(URI.create(endpoint))
        .region(Region.of(REGION))
        .forcePathStyle(true)
        .credentialsProvider(credentials())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
  }

  /** Starts a server with an empty store in a new temporary directory. */
  public static S3TestServer start() {
    try {
      return new S3TestServer(Files.createTempDirectory("s3-test-server"), null, null, OutgoingTrust.jdkDefaults());
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the S3 test server: " + e.getMessage(), e);
    }
  }

  /**
   * A server answering HTTPS only, with the key and certificate of the PKCS#12 {@code keystore}; its own
   * client trusts {@code trust}.
   */
  public static S3TestServer startHttps(Path keystore, String password, OutgoingTrust trust) {
    try {
      return new S3TestServer(Files.createTempDirectory("s3-test-server"), keystore, password, trust);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the S3 test server: " + e.getMessage(), e);
    }
  }

  public String endpoint() {
    return endpoint;
  }

  public String region() {
    return REGION;
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  public void createBucket(String bucket) {
    client.createBucket(b -> b.bucket(bucket));
  }

  /** The server's keys, for a store made in the test (nodes read them from the environment, see {@link #nodeEnv}). */
  public AwsCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
  }

  /** A store of {@code bucket} on this server, its uploads' local copies under {@code staging}. */
  public S3ArtifactStore store(String bucket, Path staging, long maxBytes) {
    return S3ArtifactStore.open(settings(bucket), staging, maxBytes, credentials());
  }

  /** A client with the server's keys, to look at (or change) the bucket the way an outsider would. */
  public S3Client client() {
    return client;
  }

  /** Where the server keeps its objects: {@code <dataDir>/<bucket>/<key>}. */
  public Path dataDir() {
    return dataDir;
  }

  /** The settings a node needs for {@code bucket} (path-style, prefix {@code artifacts/}). */
  public ArtifactStoreSettings.S3 settings(String bucket) {
    return new ArtifactStoreSettings.S3(endpoint, REGION, bucket, true, "artifacts/",
        (int) S3ArtifactStore.MIN_PART_BYTES);
  }

  /** The environment a node process needs to keep its artifacts in {@code bucket} on this server. */
  public Map<String, String> nodeEnv(String bucket) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MODELPLANE_ARTIFACT_STORE", "s3");
    env.put("MODELPLANE_S3_ENDPOINT", endpoint);
    env.put("MODELPLANE_S3_REGION", REGION);
    env.put("MODELPLANE_S3_BUCKET", bucket);
    env.put("MODELPLANE_S3_PATH_STYLE", "true");
    env.put("AWS_ACCESS_KEY_ID", accessKey);
    env.put("AWS_SECRET_ACCESS_KEY", secretKey);
    env.put("AWS_REGION", REGION);
    return env;
  }

  /** Stops answering (the objects stay on disk); {@link #close} also deletes them. */
  public void stop() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the S3 test server", e);
    }
  }

  @Override
  public void close() {
    client.close();
    if (!"STOPPED".equals(proxy.getState())) {
      stop();
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
