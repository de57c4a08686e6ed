package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.cluster.typed.Cluster;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.registry.s3.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Nodes that keep artifacts in an S3-compatible bucket (a real S3Proxy on 127.0.0.1) and share no
 * disk: a control+gateway node (no worker) takes the upload, a worker-only node with its own data
 * directory downloads the artifact by its sha256 into its cache and serves the predictions.
 */
class S3ArtifactsTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final String BUCKET = "modelplane-artifacts";

  @TempDir static Path controlDir;
  @TempDir static Path workerDir;
  static S3TestServer s3;
  static Main.Node control;
  static Main.Node worker;
  static ApiClient api;

  /** The node settings of {@code s3.nodeEnv}, as config paths; credentials go by the SDK's default chain. */
  static Map<String, Object> s3Settings() {
    Map<String, Object> settings = new HashMap<>();
    settings.put("modelplane.artifacts.store", "s3");
    settings.put("modelplane.artifacts.s3.endpoint", s3.endpoint());
    settings.put("modelplane.artifacts.s3.region", s3.region());
    settings.put("modelplane.artifacts.s3.bucket", BUCKET);
    settings.put("modelplane.artifacts.s3.path-style", true);
    return settings;
  }

  @BeforeAll
  static void start() {
    s3 = S3TestServer.start();
    s3.createBucket(BUCKET);
    // the SDK's default provider chain reads these in a JVM (a node process gets AWS_* from nodeEnv)
    System.setProperty("aws.accessKeyId", s3.accessKey());
    System.setProperty("aws.secretAccessKey", s3.secretKey());
    Map<String, Object> controlSettings = s3Settings();
    controlSettings.put("modelplane.db.url", "jdbc:h2:mem:s3-artifacts;DB_CLOSE_DELAY=-1");
    controlSettings.put("modelplane.cluster.roles", "control,gateway");
    controlSettings.put("modelplane.demo", true);
    control = TestNodes.start(controlDir, controlSettings);
    Map<String, Object> workerSettings = s3Settings();
    workerSettings.put("modelplane.cluster.roles", "worker");
    workerSettings.put("modelplane.operator-key", "");
    workerSettings.put("akka.cluster.seed-nodes",
        List.of(Cluster.get(control.system()).selfMember().address().toString()));
    worker = TestNodes.start(workerDir, workerSettings);
    api = new ApiClient(control.baseUrl());
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.stop();
    }
    if (control != null) {
      control.stop();
    }
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void theDemoAndAnUploadedModelLiveInTheBucketAndTheWorkerServesThemFromItsCache() throws Exception {
    String digits = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(TestNodes.digitsModel()));
    // the demo tenant's digits went to the bucket at start; a tenant uploads the same bytes again
    String key = TestNodes.tenantWithDigits(api, "s3co", null, 1);
    String demoKey = api.post("/api/v1/tenants/demo/api-keys", OP, Map.of("name", "t", "role", "developer"))
        .json().get("key").asText();
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> api.get("/v2/models/digits/ready", demoKey).json().path("ready").asBoolean(), "demo digits ready");

    Map<String, Object> request = Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64),
        "datatype", "FP32", "data", IntStream.range(0, 64).mapToObj(i -> (float) (i % 16)).collect(Collectors.toList()))));
    for (String credential : List.of(key, demoKey)) {
      ApiClient.Reply predicted = api.post("/v2/models/digits/infer", credential, request);
      assertThat(predicted.status()).as(predicted.toString()).isEqualTo(200);
      JsonNode logits = predicted.json().get("outputs").get(0);
      assertThat(logits.get("shape").toString()).isEqualTo("[1,10]");
    }

    // one encrypted object per tenant, by sha256, in the bucket; no node keeps a store of its own
    assertThat(s3.client().listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents().stream().map(S3Object::key))
        .containsExactlyInAnyOrder("artifacts/tenants/demo/" + digits, "artifacts/tenants/s3co/" + digits);
    assertThat(controlDir.resolve("artifacts")).doesNotExist();
    assertThat(workerDir.resolve("artifacts")).doesNotExist();
    try (Stream<Path> uploads = Files.list(controlDir.resolve("artifact-uploads"))) {
      assertThat(uploads).isEmpty(); // the uploads' local copies went at registration
    }
    // the worker-only node (no database, no KEK) fetched the ciphertext into its own cache: owner-only,
    // read-only; it decrypted with the data key placement sent, and kept no plaintext
    Path cached = workerDir.resolve("artifact-cache").resolve("s3co." + digits);
    assertThat(cached).exists();
    assertThat(Files.readAllBytes(cached)).startsWith("MPAE".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertThat(workerDir.resolve(io.modelplane.registry.crypto.LocalKeySource.DEV_KEY_FILE)).doesNotExist();
    try (Stream<Path> files = Files.list(workerDir.resolve("artifact-cache"))) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith("plain-"));
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cached))).isEqualTo("r--------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cached.getParent()))).isEqualTo("rwx------");
  }

  @Test
  void anUploadTheBucketRefusesIsA503AndLeavesNothingBehind(@TempDir Path dir) {
    Map<String, Object> settings = s3Settings();
    settings.put("modelplane.artifacts.s3.bucket", "no-such-bucket");
    settings.put("modelplane.db.url", "jdbc:h2:mem:s3-no-bucket;DB_CLOSE_DELAY=-1");
    Main.Node node = TestNodes.start(dir, settings);
    try {
      ApiClient via = new ApiClient(node.baseUrl());
      assertThat(via.post("/api/v1/tenants", OP, Map.of("id", "nobucket", "displayName", "x")).status()).isEqualTo(201);
      String key = via.post("/api/v1/tenants/nobucket/api-keys", OP, Map.of("name", "k", "role", "developer"))
          .json().get("key").asText();

      ApiClient.Reply refused = via.upload("nobucket", "digits", key, ApiClient.manifest(), TestNodes.digitsModel());

      ManagementApiTest.assertError(refused, 503, "unavailable");
      assertThat(dir.resolve("artifact-uploads")).isEmptyDirectory();
      assertThat(via.get("/api/v1/tenants/nobucket/models/digits/versions/1", key).status()).isEqualTo(404);
    } finally {
      node.stop();
    }
  }

  @Test
  void aNodeWithS3AndNoBucketRefusesToStart(@TempDir Path dir) {
    assertThatThrownBy(() -> Main.init(TestNodes.config(dir, Map.of("modelplane.artifacts.store", "s3"))))
        .isInstanceOf(RefusedSettingException.class)
        .hasMessageContaining("MODELPLANE_S3_BUCKET");
    assertThatThrownBy(() -> Main.init(TestNodes.config(dir, Map.of("modelplane.artifacts.store", "nfs"))))
        .isInstanceOf(RefusedSettingException.class)
        .hasMessageContaining("MODELPLANE_ARTIFACT_STORE");
  }
}
