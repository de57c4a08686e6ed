package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads are admitted before a version is registered: a model whose code reads files, and
 * artifacts that are no model at all, are refused with 400 and leave nothing behind.
 */
class ModelAdmissionApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;
  static String dev;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of());
    api = new ApiClient(node.baseUrl());
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "mallory", "displayName", "Mallory")).status())
        .isEqualTo(201);
    dev = api.post("/api/v1/tenants/mallory/api-keys", OP, Map.of("name", "dev", "role", "developer"))
        .json().get("key").asText();
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  @Test
  void aModelThatReadsServerFilesIsRefusedNamingTheOperator() throws Exception {
    long before = storedArtifacts();
    // its forward calls torch.from_file on a path of the server (it used to be stored, deployed and run)
    ApiClient.Reply r = api.upload("mallory", "reader", dev, ApiClient.manifest(),
        TestModels.model("from-file-read.pt"));
    assertError(r, 400, "unsafe_model");
    assertThat(r.json().get("error").asText()).contains("torch.from_file")
        .doesNotContain(dataDir.toString()).doesNotContain("/tmp/");
    assertNothingRegistered("reader", before);
  }

  @Test
  void artifactsThatAreNoModelAreRefusedAtUpload() throws Exception {
    long before = storedArtifacts();
    byte[] random = new byte[50_000];
    new Random(7).nextBytes(random);
    byte[] digits = TestModels.digits();
    byte[] truncated = Arrays.copyOf(digits, digits.length / 2);
    for (byte[] artifact : List.of(random, truncated)) {
      ApiClient.Reply r = api.upload("mallory", "junk", dev, ApiClient.digitsManifest(), artifact);
      assertError(r, 400, "invalid_model");
      assertThat(r.json().get("error").asText()).contains("neither a TorchScript archive nor a zip");
    }
    ApiClient.Reply stateDict = api.upload("mallory", "junk", dev, ApiClient.digitsManifest(),
        TestModels.model("state-dict.pt"));
    assertError(stateDict, 400, "invalid_model");
    assertThat(stateDict.json().get("error").asText()).contains("state dict");
    assertNothingRegistered("junk", before);
  }

  @Test
  void datatypesPredictCannotCarryAreRefusedAtUpload() throws Exception {
    long before = storedArtifacts();
    for (String datatype : List.of("BYTES", "INT16")) {
      Map<String, Object> manifest = new HashMap<>(ApiClient.digitsManifest());
      manifest.put("inputs", List.of(Map.of("name", "input", "datatype", datatype, "shape", List.of(-1, 64))));
      ApiClient.Reply r = api.upload("mallory", "typed", dev, manifest, TestModels.digits());
      assertError(r, 400, "unsupported_datatype");
      assertThat(r.json().get("error").asText()).contains(datatype);
    }
    Map<String, Object> bytesOut = new HashMap<>(ApiClient.digitsManifest());
    bytesOut.put("outputs", List.of(Map.of("name", "logits", "datatype", "BYTES", "shape", List.of(-1))));
    assertError(api.upload("mallory", "typed", dev, bytesOut, TestModels.digits()), 400, "unsupported_datatype");
    assertNothingRegistered("typed", before);
  }

  @Test
  void realModelsAreAdmitted() {
    assertThat(api.upload("mallory", "digits", dev, ApiClient.digitsManifest(), TestModels.digits()).status())
        .isEqualTo(201);
    assertThat(api.upload("mallory", "digits", dev, ApiClient.digitsManifest(), TestModels.distinct(1000, 1))
        .status()).isEqualTo(201);
  }

  private static void assertNothingRegistered(String model, long storedBefore) throws Exception {
    assertError(api.get("/api/v1/tenants/mallory/models/" + model, dev), 404, "model_not_found");
    assertThat(storedArtifacts()).isEqualTo(storedBefore);
  }

  private static long storedArtifacts() throws Exception {
    try (Stream<Path> files = Files.walk(dataDir.resolve("artifacts"))) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  private static void assertError(ApiClient.Reply r, int status, String code) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.json().get("code").asText()).as(r.toString()).isEqualTo(code);
  }
}
