package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {

  @TempDir
  Path store;
  @TempDir
  Path work;
  ModelLoader loader;

  @BeforeEach
  void setUp() {
    loader = new ModelLoader(work, ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES);
  }

  @Test
  void loadsTheDigitsModelAndPredictsHeldOutSamples() throws Exception {
    Path artifact = Digits.copyModel(store);
    Digits.HeldOut heldOut = Digits.heldOut();
    try (LoadedModel model = loader.load(Digits.spec("acme/digits:1", artifact), Device.cpu())) {
      assertThat(model.device()).isEqualTo(Device.cpu());
      assertThat(model.residentBytes()).isEqualTo(Files.size(artifact));
      List<Tensor> out = model.forward(List.of(Digits.input(heldOut.inputs())));
      assertThat(out).hasSize(1);
      Tensor logits = out.get(0);
      assertThat(logits.name()).isEqualTo("logits");
      assertThat(logits.datatype()).isEqualTo("FP32");
      assertThat(logits.shape()).containsExactly(360, 10);
      int[] predicted = Digits.argmax(logits);
      int correct = 0;
      for (int i = 0; i < predicted.length; i++) {
        correct += predicted[i] == heldOut.labels()[i] ? 1 : 0;
      }
      assertThat(correct / 360.0).isGreaterThanOrEqualTo(0.95);
    }
    // the working directory is gone, the artifact (behind the symlink) is not
    assertThat(work).isEmptyDirectory();
    assertThat(artifact).exists().hasSize(Files.size(artifact));
  }

  @Test
  void corruptArtifactsFailToLoadAndLaterLoadsStillWork() throws Exception {
    Path random = store.resolve("random");
    byte[] noise = new byte[50_000];
    new Random(7).nextBytes(noise);
    Files.write(random, noise);
    Path digits = Digits.copyModel(store);
    Path truncated = store.resolve("truncated");
    byte[] all = Files.readAllBytes(digits);
    Files.write(truncated, java.util.Arrays.copyOf(all, all.length / 2));

    assertThatThrownBy(() -> loader.load(Digits.spec("acme/noise:1", random), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("neither a TorchScript archive nor a zip");
    assertThatThrownBy(() -> loader.load(Digits.spec("acme/cut:1", truncated), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("neither a TorchScript archive nor a zip");
    assertThat(work).isEmptyDirectory();
    try (LoadedModel model = loader.load(Digits.spec("acme/digits:1", digits), Device.cpu())) {
      assertThat(model.forward(List.of(Digits.input(Digits.heldOut().inputs()[0])))).hasSize(1);
    }
  }

  @Test
  void anArchiveTheEngineRejectsFailsCleanly() throws Exception {
    // shaped like TorchScript and admitted (an empty dict, harmless code), but no model the engine can read
    Path fake = zip(store.resolve("fake"), Map.of("m/data.pkl", new byte[] {(byte) 0x80, 2, '}', '.'},
        "m/version", "3\n".getBytes(), "m/code/__torch__.py", "class M(Module):\n  def forward(self".getBytes()));
    assertThatThrownBy(() -> loader.load(Digits.spec("acme/fake:1", fake), Device.cpu()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageStartingWith("could not load acme/fake:1 from fake: ");
    assertThat(work).isEmptyDirectory();
    try (LoadedModel model = loader.load(Digits.spec("acme/digits:1", Digits.copyModel(store)), Device.cpu())) {
      assertThat(model.forward(List.of(Digits.input(new float[64])))).hasSize(1);
    }
  }

  @Test
  void loadsAZippedModelDirectory() throws Exception {
    byte[] pt = Files.readAllBytes(Digits.copyModel(store));
    Path zipped = zip(store.resolve("dir-zip"), Map.of(
        "digits/digits.pt", pt,
        "digits/serving.properties", "engine=PyTorch\n".getBytes()));
    float[][] samples = java.util.Arrays.copyOf(Digits.heldOut().inputs(), 20);
    try (LoadedModel fromZip = loader.load(Digits.spec("acme/digits:2", zipped), Device.cpu());
        LoadedModel plain = loader.load(Digits.spec("acme/digits:1", store.resolve("0f3a9c-digits-sha256")),
            Device.cpu())) {
      Tensor a = fromZip.forward(List.of(Digits.input(samples))).get(0);
      Tensor b = plain.forward(List.of(Digits.input(samples))).get(0);
      assertThat(a).isEqualTo(b);
    }
    assertThat(work).isEmptyDirectory();
  }

  @Test
  void zippedModelDirectoriesMayNotEscapeOrExplode() throws Exception {
    byte[] pt = Files.readAllBytes(Digits.copyModel(store));
    Path escaping = zip(store.resolve("escaping"), Map.of("model.pt", pt, "../../escaped.pt", pt));
    assertThatThrownBy(() -> loader.load(Digits.spec("acme/evil:1", escaping), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("points outside the model directory");
    assertThat(work.getParent().resolve("escaped.pt")).doesNotExist();
    assertThat(work.resolve("escaped.pt")).doesNotExist();

    ModelLoader capped = new ModelLoader(work, 10_000);
    Path big = zip(store.resolve("big"), Map.of("model.pt", pt));
    assertThatThrownBy(() -> capped.load(Digits.spec("acme/big:1", big), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("unpacks to more than 10000 bytes");
    assertThat(work).isEmptyDirectory();
  }

  @Test
  void aModelDirectoryNeedsExactlyOnePtFile() throws Exception {
    byte[] pt = Files.readAllBytes(Digits.copyModel(store));
    Path two = zip(store.resolve("two"), Map.of("a.pt", pt, "sub/b.pt", pt));
    assertThatThrownBy(() -> loader.load(Digits.spec("acme/two:1", two), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("exactly one .pt file, holds 2");
    Path none = zip(store.resolve("none"), Map.of("serving.properties", "engine=PyTorch".getBytes()));
    assertThatThrownBy(() -> loader.load(Digits.spec("acme/none:1", none), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("nor a model directory (no .pt file)");
    assertThat(work).isEmptyDirectory();
  }

  @Test
  void refusesUnsupportedFormatsAndMissingFiles() {
    Path artifact = Digits.copyModel(store);
    ModelSpec onnx = new ModelSpec("acme/x:1", artifact, "onnx", Digits.INPUTS, Digits.OUTPUTS, 1);
    assertThatThrownBy(() -> loader.load(onnx, Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("format 'onnx'");
    ModelSpec missing = new ModelSpec("acme/x:1", store.resolve("artifact abc is missing from the artifact store"),
        "torchscript", Digits.INPUTS, Digits.OUTPUTS, 1);
    assertThatThrownBy(() -> loader.load(missing, Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("not a readable file");
    ModelSpec directory = new ModelSpec("acme/x:1", store, "torchscript", Digits.INPUTS, Digits.OUTPUTS, 1);
    assertThatThrownBy(() -> loader.load(directory, Device.cpu())).isInstanceOf(ModelLoadException.class);
    assertThat(work).isEmptyDirectory();
  }

  @Test
  void theFormatNameIsCaseInsensitive() {
    Path artifact = Digits.copyModel(store);
    ModelSpec spec = new ModelSpec("acme/x:1", artifact, "TorchScript", Digits.INPUTS, Digits.OUTPUTS, 1);
    try (LoadedModel model = loader.load(spec, Device.cpu())) {
      assertThat(model.spec()).isSameAs(spec);
    }
  }

  static Path zip(Path target, Map<String, byte[]> entries) throws IOException {
    try (OutputStream file = Files.newOutputStream(target); ZipOutputStream zip = new ZipOutputStream(file)) {
      for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(entries).entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return target;
  }
}
