package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admission corpus (ops/scripts/make-admission-corpus.py): every legitimate architecture is
 * admitted and really loads and runs; every hostile pattern is refused naming its operator.
 */
class ModelAdmissionTest {

  static final String CORPUS = "/io/modelplane/inference/admission/";
  /** The file the from_file models read and overwrite (fixed in their code). */
  static final Path CANARY = Path.of("/tmp/modelplane-admission-canary");

  @TempDir
  Path dir;

  final ModelAdmission admission = new ModelAdmission();

  static JsonNode corpus() {
    try (InputStream in = ModelAdmissionTest.class.getResourceAsStream(CORPUS + "corpus.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Stream<JsonNode> accepted() {
    return stream(corpus().get("accepted"));
  }

  static Stream<JsonNode> refused() {
    return stream(corpus().get("refused"));
  }

  static Stream<JsonNode> invalid() {
    return stream(corpus().get("invalid"));
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> nodes = new ArrayList<>();
    array.forEach(nodes::add);
    return nodes.stream();
  }

  /** Copies a corpus file as the artifact store keeps it: no extension. */
  static Path copy(String file, Path dir) {
    Path target = dir.resolve(file.replace('/', '-').replaceAll("\\.(pt|zip)$", ""));
    try (InputStream in = ModelAdmissionTest.class.getResourceAsStream(CORPUS + file)) {
      Files.copy(in, target);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void theCorpusHasTenArchitecturesAndTenHostilePatterns() {
    assertThat(accepted().count()).isGreaterThanOrEqualTo(10);
    assertThat(refused().count()).isGreaterThanOrEqualTo(10);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void legitimateModelsAreAdmittedAndRun(JsonNode model) {
    Path artifact = copy(model.get("file").asText(), dir);
    assertThat(admission.check(artifact)).isInstanceOf(ModelAdmission.Decision.Admitted.class);

    long[] shape = new ObjectMapper().convertValue(model.at("/input/shape"), long[].class);
    String datatype = model.at("/input/datatype").asText();
    List<Long> dims = Arrays.stream(shape).boxed().toList();
    ModelSpec spec = new ModelSpec(TestKeys.key("corpus", 1), artifact, "torchscript",
        List.of(new TensorSpec("input", datatype, dims)), List.of(new TensorSpec("output", "FP32", List.of(-1L))),
        footprint(artifact));
    try (LoadedModel loaded = new ModelLoader(dir.resolve("work"), ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES)
        .load(spec, Device.cpu())) {
      List<Tensor> out = loaded.forward(List.of(input(datatype, shape)));
      assertThat(out).hasSize(1);
      assertThat(out.get(0).shape()[0]).isEqualTo(shape[0]);
      for (float v : Digits.floats(out.get(0))) {
        assertThat(v).isFinite();
      }
    }
  }

  @Test
  void theDemoModelIsAdmitted() {
    assertThat(admission.check(Digits.copyModel(dir))).isEqualTo(new ModelAdmission.Decision.Admitted(6));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void hostileModelsAreRefusedNamingTheOperator(JsonNode model) {
    Path artifact = copy(model.get("file").asText(), dir);
    ModelAdmission.Decision decision = admission.check(artifact);
    assertThat(decision).isInstanceOf(ModelAdmission.Decision.Unsafe.class);
    assertThat(((ModelAdmission.Decision.Unsafe) decision).operator()).isEqualTo(model.get("operator").asText());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void artifactsThatAreNoModelAreInvalid(JsonNode model) {
    Path artifact = copy(model.get("file").asText(), dir);
    assertThat(admission.check(artifact)).isInstanceOf(ModelAdmission.Decision.Invalid.class);
  }

  @Test
  void randomBytesTruncatedAndEmptyFilesAreInvalidWithoutPathOrSize() throws IOException {
    byte[] noise = new byte[50_000];
    new Random(7).nextBytes(noise);
    Path random = Files.write(dir.resolve("random"), noise);
    byte[] digits = Files.readAllBytes(Digits.copyModel(dir));
    Path truncated = Files.write(dir.resolve("truncated"), Arrays.copyOf(digits, digits.length / 2));
    Path empty = Files.write(dir.resolve("empty"), new byte[0]);
    for (Path artifact : List.of(random, truncated, empty)) {
      ModelAdmission.Decision decision = admission.check(artifact);
      assertThat(decision).isInstanceOf(ModelAdmission.Decision.Invalid.class);
      String reason = ((ModelAdmission.Decision.Invalid) decision).reason();
      assertThat(reason).contains("neither a TorchScript archive nor a zip")
          .doesNotContain(dir.toString()).doesNotContain(String.valueOf(Files.size(artifact)));
    }
  }

  @Test
  void aStateDictIsToldApartFromAModel() {
    ModelAdmission.Decision decision = admission.check(copy("invalid/state-dict.pt", dir));
    assertThat(((ModelAdmission.Decision.Invalid) decision).reason()).contains("state dict").contains("torch.jit");
  }

  /**
   * The regression: with admission bypassed (DJL loading the file directly, as the loader did),
   * the from_file model reads a file of the server and the shared one overwrites it; the loader
   * now refuses both before the engine sees them.
   */
  @Test
  void fromFileReadsAndWritesServerFilesUnlessAdmissionRefusesIt() throws Exception {
    byte[] secret = "tenant-b-secret!".getBytes(StandardCharsets.US_ASCII);
    Files.write(CANARY, secret);
    try {
      Path reader = copy("refused/from-file-read.pt", dir);
      float[] leaked = forwardBypassingAdmission(reader, new float[16]);
      byte[] asBytes = new byte[leaked.length];
      for (int i = 0; i < leaked.length; i++) {
        asBytes[i] = (byte) leaked[i];
      }
      assertThat(asBytes).isEqualTo(secret);

      Path writer = copy("refused/from-file-shared-write.pt", dir);
      forwardBypassingAdmission(writer, new float[16]);
      assertThat(Files.readString(CANARY)).isEqualTo("A".repeat(16));

      Files.write(CANARY, secret);
      ModelLoader loader = new ModelLoader(dir.resolve("work"), ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES);
      for (Path artifact : List.of(reader, writer)) {
        assertThatThrownBy(() -> loader.load(Digits.spec(new VersionKey(ModelKey.of("mallory", "reader"), 1), artifact), Device.cpu()))
            .isInstanceOf(ModelLoadException.class)
            .hasMessageContaining("refused as unsafe").hasMessageContaining("torch.from_file");
      }
      assertThat(Files.readAllBytes(CANARY)).isEqualTo(secret);
      assertThat(dir.resolve("work/loading")).isEmptyDirectory(); // the verified copy is gone with its refusal
    } finally {
      Files.deleteIfExists(CANARY);
    }
  }

  @Test
  void codeHiddenUnderAnotherPrefixOrAsAnExtraModelIsStillChecked() throws IOException {
    // a second, unreferenced code entry carrying the call: every code entry is read
    Path artifact = dir.resolve("extra");
    try (ZipFile relu = new ZipFile(copy("accepted/mlp-scripted.pt", dir).toFile());
        OutputStream file = Files.newOutputStream(artifact); ZipOutputStream out = new ZipOutputStream(file)) {
      for (ZipEntry e : java.util.Collections.list(relu.entries())) {
        out.putNextEntry(new ZipEntry(e.getName()));
        relu.getInputStream(e).transferTo(out);
      }
      out.putNextEntry(new ZipEntry("archive/code/__torch__/unused.py"));
      out.write("def f(x: Tensor) -> Tensor:\n  return torch.from_file(\"/etc/shadow\", False, 1)\n"
          .getBytes(StandardCharsets.UTF_8));
    }
    ModelAdmission.Decision decision = admission.check(artifact);
    assertThat(decision).isEqualTo(new ModelAdmission.Decision.Unsafe("torch.from_file",
        ((ModelAdmission.Decision.Unsafe) decision).reason()));
  }

  @Test
  void manifestDatatypesAreLimitedToWhatPredictCarries() {
    List<TensorSpec> fp32 = List.of(new TensorSpec("x", "FP32", List.of(-1L, 4L)));
    assertThat(ModelAdmission.datatypeViolation(fp32, fp32)).isNull();
    assertThat(ModelAdmission.datatypeViolation(List.of(new TensorSpec("x", "BYTES", List.of(-1L))), fp32))
        .contains("input x has datatype BYTES");
    assertThat(ModelAdmission.datatypeViolation(List.of(new TensorSpec("x", "INT16", List.of(-1L))), fp32))
        .contains("input x has datatype INT16");
    assertThat(ModelAdmission.datatypeViolation(fp32, List.of(new TensorSpec("y", "BYTES", List.of(-1L)))))
        .contains("output y has datatype BYTES");
    // what the engine takes (the api's codec decodes them all: its TensorCodecTest)
    assertThat(DjlLoadedModel.ENGINE_TYPES).containsAll(ModelAdmission.INPUT_DATATYPES);
    assertThat(ModelAdmission.OUTPUT_DATATYPES).containsExactlyInAnyOrderElementsOf(
        TensorSpec.DATATYPES.stream().filter(d -> !d.equals("BYTES")).toList());
  }

  private float[] forwardBypassingAdmission(Path artifact, float[] input) throws Exception {
    Path modelDir = Files.createDirectories(dir.resolve("bypass-" + artifact.getFileName()));
    Files.copy(artifact, modelDir.resolve("model.pt"));
    try (Model model = Model.newInstance("model", Device.cpu(), DjlLoadedModel.ENGINE)) {
      model.load(modelDir, "model", Map.of("mapLocation", "true"));
      try (var predictor = model.newPredictor(new NoopTranslator()); NDManager manager = NDManager.newBaseManager()) {
        NDList out = predictor.predict(new NDList(manager.create(input, new Shape(input.length))));
        return out.singletonOrThrow().toFloatArray();
      }
    }
  }

  private static Tensor input(String datatype, long[] shape) {
    long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    byte[] data = new byte[(int) count * Tensor.bytesPerElement(datatype)];
    Random random = new Random(7);
    if (datatype.equals("INT64")) {
      for (int i = 0; i < count; i++) {
        data[i * 8] = (byte) random.nextInt(50); // little-endian indices below the embedding size
      }
    } else {
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        buffer.putFloat(random.nextFloat());
      }
    }
    return new Tensor("input", datatype, shape, data);
  }

  /** What the control plane admits a model by: its size once loaded, estimated from the archive. */
  private static long footprint(Path p) {
    try {
      return ModelFootprint.estimate(p, Long.MAX_VALUE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
