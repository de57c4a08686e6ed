package io.modelplane.inference.runtime;

import static io.modelplane.inference.runtime.TestKeys.key;
import io.modelplane.common.VersionKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
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
    try (LoadedModel model = loader.load(Digits.spec(key("digits", 1), artifact), Device.cpu())) {
      assertThat(model.device()).isEqualTo(Device.cpu());
      // the archive is stored, not deflated: what it holds once loaded is about its size, and more
      // than its parameters (17,226 floats)
      assertThat(model.residentBytes()).isEqualTo(Files.size(artifact)).isBetween(17_226L * 4, 17_226L * 4 * 2);
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
    // the working directory is gone, the artifact is not
    assertNothingLeftWhileLoading();
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

    assertThatThrownBy(() -> loader.load(Digits.spec(key("noise", 1), random), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("neither a TorchScript archive nor a zip");
    assertThatThrownBy(() -> loader.load(Digits.spec(key("cut", 1), truncated), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("neither a TorchScript archive nor a zip");
    assertNothingLeftWhileLoading();
    try (LoadedModel model = loader.load(Digits.spec(key("digits", 1), digits), Device.cpu())) {
      assertThat(model.forward(List.of(Digits.input(Digits.heldOut().inputs()[0])))).hasSize(1);
    }
  }

  @Test
  void anArchiveTheEngineRejectsFailsCleanly() throws Exception {
    // shaped like TorchScript and admitted (an empty dict, harmless code), but no model the engine can read
    Path fake = zip(store.resolve("fake"), Map.of("m/data.pkl", new byte[] {(byte) 0x80, 2, '}', '.'},
        "m/version", "3\n".getBytes(), "m/code/__torch__.py", "class M(Module):\n  def forward(self".getBytes()));
    assertThatThrownBy(() -> loader.load(Digits.spec(key("fake", 1), fake), Device.cpu()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageStartingWith("could not load acme/fake:1 from fake: ");
    assertNothingLeftWhileLoading();
    try (LoadedModel model = loader.load(Digits.spec(key("digits", 1), Digits.copyModel(store)), Device.cpu())) {
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
    ModelSpec fromZipSpec = spec(key("digits", 2), zipped, ModelFootprint.estimate(zipped, Long.MAX_VALUE));
    try (LoadedModel fromZip = loader.load(fromZipSpec, Device.cpu());
        LoadedModel plain = loader.load(Digits.spec(key("digits", 1), store.resolve("0f3a9c-digits-sha256")),
            Device.cpu())) {
      Tensor a = fromZip.forward(List.of(Digits.input(samples))).get(0);
      Tensor b = plain.forward(List.of(Digits.input(samples))).get(0);
      assertThat(a).isEqualTo(b);
    }
    assertNothingLeftWhileLoading();
  }

  @Test
  void zippedModelDirectoriesMayNotEscapeOrExplode() throws Exception {
    byte[] pt = Files.readAllBytes(Digits.copyModel(store));
    Path escaping = zip(store.resolve("escaping"), Map.of("model.pt", pt, "../../escaped.pt", pt));
    assertThatThrownBy(() -> loader.load(Digits.spec(key("evil", 1), escaping), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("points outside the model directory");
    assertThat(work.getParent().resolve("escaped.pt")).doesNotExist();
    assertThat(work.resolve("escaped.pt")).doesNotExist();

    ModelLoader capped = new ModelLoader(work, 10_000);
    Path big = zip(store.resolve("big"), Map.of("model.pt", pt));
    assertThatThrownBy(() -> capped.load(Digits.spec(key("big", 1), big), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("unpacks to more than 10000 bytes");
    assertThat(work.resolve("unpacked")).isEmptyDirectory();
    assertNothingLeftWhileLoading();
  }

  @Test
  void aModelDirectoryNeedsExactlyOnePtFile() throws Exception {
    byte[] pt = Files.readAllBytes(Digits.copyModel(store));
    Path two = zip(store.resolve("two"), Map.of("a.pt", pt, "sub/b.pt", pt));
    assertThatThrownBy(() -> loader.load(Digits.spec(key("two", 1), two), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("exactly one .pt file, holds 2");
    Path none = zip(store.resolve("none"), Map.of("serving.properties", "engine=PyTorch".getBytes()));
    assertThatThrownBy(() -> loader.load(Digits.spec(key("none", 1), none), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("nor a model directory (no .pt file)");
    assertNothingLeftWhileLoading();
  }

  @Test
  void refusesUnsupportedFormatsAndMissingFiles() {
    Path artifact = Digits.copyModel(store);
    ModelSpec onnx = new ModelSpec(key("x", 1), artifact, "onnx", Digits.INPUTS, Digits.OUTPUTS, 1);
    assertThatThrownBy(() -> loader.load(onnx, Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("format 'onnx'");
    ModelSpec missing = new ModelSpec(key("x", 1), store.resolve("artifact abc is missing from the artifact store"),
        "torchscript", Digits.INPUTS, Digits.OUTPUTS, 1);
    assertThatThrownBy(() -> loader.load(missing, Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("not a readable file");
    ModelSpec directory = new ModelSpec(key("x", 1), store, "torchscript", Digits.INPUTS, Digits.OUTPUTS, 1);
    assertThatThrownBy(() -> loader.load(directory, Device.cpu())).isInstanceOf(ModelLoadException.class);
    assertNothingLeftWhileLoading();
  }

  @Test
  void theFormatNameIsCaseInsensitive() {
    Path artifact = Digits.copyModel(store);
    ModelSpec spec = new ModelSpec(key("x", 1), artifact, "TorchScript", Digits.INPUTS, Digits.OUTPUTS, Long.MAX_VALUE);
    try (LoadedModel model = loader.load(spec, Device.cpu())) {
      assertThat(model.spec()).isSameAs(spec);
    }
  }

  @Test
  void anArtifactChangedInPlaceIsRefusedBeforeTheEngineSeesIt() throws Exception {
    Path artifact = Digits.copyModel(store);
    String registered = sha256(Files.readAllBytes(artifact));
    ModelSpec spec = new ModelSpec(key("digits", 1), artifact, "torchscript", Digits.INPUTS, Digits.OUTPUTS,
        Files.size(artifact), registered);
    try (LoadedModel model = loader.load(spec, Device.cpu())) {
      assertThat(model.forward(List.of(Digits.input(new float[64])))).hasSize(1);
    }
    // same size, one weight changed: the engine would load it and answer differently
    byte[] bytes = Files.readAllBytes(artifact);
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(artifact, bytes);
    assertThatThrownBy(() -> loader.load(spec, Device.cpu()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("artifact of acme/digits:1 does not match its sha256 (registered " + registered)
        .hasMessageContaining(sha256(bytes));
    assertNothingLeftWhileLoading();
  }

  @Test
  void aZippedModelDirectoryIsUnpackedOncePerSha256() throws Exception {
    byte[] pt = Files.readAllBytes(Digits.copyModel(store));
    Path zipped = zip(store.resolve("dir-zip"), Map.of("digits/digits.pt", pt));
    String sha256 = sha256(Files.readAllBytes(zipped));
    long admitted = ModelFootprint.estimate(zipped, Long.MAX_VALUE);
    assertThat(admitted).isEqualTo(pt.length).isGreaterThan(Files.size(zipped));
    ModelSpec spec = new ModelSpec(key("digits", 2), zipped, "torchscript", Digits.INPUTS, Digits.OUTPUTS, admitted,
        sha256);
    try (LoadedModel first = loader.load(spec, Device.cpu())) {
      assertThat(first.forward(List.of(Digits.input(new float[64])))).hasSize(1);
    }
    Path unpacked = work.resolve("unpacked").resolve(sha256).resolve("digits/digits.pt");
    assertThat(unpacked).hasSize(pt.length);
    assertThat(Files.getPosixFilePermissions(work.resolve("unpacked").resolve(sha256)))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(unpacked)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    Object inode = Files.readAttributes(unpacked, BasicFileAttributes.class).fileKey();
    try (LoadedModel again = loader.load(spec, Device.cpu());
        LoadedModel otherReplica = loader.load(new ModelSpec(key("digits", 3), zipped, "torchscript", Digits.INPUTS,
            Digits.OUTPUTS, admitted, sha256), Device.cpu())) {
      assertThat(again.forward(List.of(Digits.input(new float[64])))).hasSize(1);
    }
    assertThat(loader.unpackCount()).isEqualTo(1);
    assertThat(Files.readAttributes(unpacked, BasicFileAttributes.class).fileKey()).isEqualTo(inode);
    assertNothingLeftWhileLoading();
    // a later loader (a restart) reuses it too
    ModelLoader restarted = new ModelLoader(work, ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES);
    restarted.load(spec, Device.cpu()).close();
    assertThat(restarted.unpackCount()).isZero();

    // the unpacked copy changed on disk: refused, then unpacked afresh
    Files.write(unpacked, java.util.Arrays.copyOf(pt, pt.length - 1));
    assertThatThrownBy(() -> restarted.load(spec, Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("was changed on disk");
    restarted.load(spec, Device.cpu()).close();
    assertThat(restarted.unpackCount()).isEqualTo(1);
  }

  @Test
  void aZipBombIsRefusedByTheFileCapAndTheByteCapWhileUnpacking() throws Exception {
    byte[] pt = Files.readAllBytes(Digits.copyModel(store));
    Map<String, byte[]> many = new java.util.HashMap<>(Map.of("m/model.pt", pt));
    for (int i = 0; i < 20; i++) {
      many.put("m/f" + i, new byte[1]);
    }
    Path crowded = zip(store.resolve("crowded"), many);
    ModelLoader fewFiles = new ModelLoader(work, ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES, 10, 0);
    assertThatThrownBy(() -> fewFiles.load(spec(key("crowded", 1), crowded, Long.MAX_VALUE), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("has more than 10 entries");

    // 1 GiB of zeros deflates to about 1 MB; unpacking stops at the cap, having written no more than it
    Path bomb = store.resolve("bomb");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(bomb))) {
      zip.putNextEntry(new ZipEntry("m/model.pt"));
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 1024; i++) {
        zip.write(zeros);
      }
      zip.closeEntry();
    }
    assertThat(Files.size(bomb)).isLessThan(2_000_000);
    ModelLoader capped = new ModelLoader(work, 50_000_000L, 10, 0);
    assertThatThrownBy(() -> capped.load(spec(key("bomb", 1), bomb, Long.MAX_VALUE), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("unpacks to more than 50000000 bytes");
    assertThat(work.resolve("unpacked")).isEmptyDirectory();
    assertNothingLeftWhileLoading();
  }

  @Test
  void aModelWhoseTensorsInflateBeyondWhatWasAdmittedIsRefusedBeforeLoading() throws Exception {
    // a TorchScript-shaped archive whose tensor storage deflates 64 MiB of zeros to almost nothing
    Path deflated = store.resolve("deflated");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(deflated))) {
      zip.putNextEntry(new ZipEntry("m/data.pkl"));
      zip.write("not read".getBytes());
      zip.putNextEntry(new ZipEntry("m/version"));
      zip.write("3\n".getBytes());
      zip.putNextEntry(new ZipEntry("m/data/0"));
      zip.write(new byte[64 << 20]);
      zip.closeEntry();
    }
    long size = Files.size(deflated);
    assertThat(size).isLessThan(200_000);
    assertThat(ModelFootprint.estimate(deflated, Long.MAX_VALUE)).isGreaterThan(64L << 20);
    assertThat(ModelFootprint.estimate(deflated, 10_000_000)).isEqualTo(10_000_001);
    // admitted for its compressed size, as placement did before it counted the inflated size
    assertThatThrownBy(() -> loader.load(spec(key("deflated", 1), deflated, size * 10), Device.cpu()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessage("acme/deflated:1 needs more than " + size * 10 + " bytes once loaded (its tensors unpack to more); "
            + size * 10 + " bytes were admitted for it");
    assertNothingLeftWhileLoading();
  }

  void assertNothingLeftWhileLoading() {
    Path loading = work.resolve("loading");
    if (Files.exists(loading)) {
      assertThat(loading).isEmptyDirectory();
    }
  }

  @Test
  void aTiedWeightCountsOnceAndAModelFitsWhatItWasAdmittedFor() throws Exception {
    Path tied = store.resolve("tied");
    try (java.io.InputStream in = ModelLoaderTest.class.getResourceAsStream("/models/tied.pt")) {
      Files.copy(in, tied);
    }
    // its code entries are deflated: once inflated it is larger than its file
    long admitted = ModelFootprint.estimate(tied, Long.MAX_VALUE);
    assertThat(admitted).isGreaterThan(Files.size(tied));
    try (LoadedModel model = loader.load(spec(key("tied", 1), tied, admitted), Device.cpu())) {
      // the engine names the 64x32 weight twice (embedding and head); it is held once
      assertThat(model.residentBytes()).isEqualTo(admitted).isLessThan(64 * 32 * 4 * 2 + 8_000);
    }
    assertThatThrownBy(() -> loader.load(spec(key("tied", 2), tied, Files.size(tied)), Device.cpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("needs more than " + Files.size(tied));
  }

  static ModelSpec spec(VersionKey key, Path artifact, long admitted) {
    return new ModelSpec(key, artifact, "torchscript", Digits.INPUTS, Digits.OUTPUTS, admitted);
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
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
