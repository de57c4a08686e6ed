package io.modelplane.inference.runtime;

import static io.modelplane.inference.runtime.TestKeys.key;
import io.modelplane.common.VersionKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.modelplane.common.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlLoadedModelTest {

  @TempDir
  static Path store;
  static Path artifact;
  static NDManager probe;
  // the root of every PyTorch NDManager: what a loaded model holds hangs below it
  static NDManager system;

  @BeforeAll
  static void setUp() {
    artifact = Digits.copyModel(store);
    probe = NDManager.newBaseManager(Device.cpu(), DjlLoadedModel.ENGINE);
    system = probe.getParentManager();
  }

  @AfterAll
  static void tearDown() {
    probe.close();
  }

  static DjlLoadedModel load(VersionKey key) {
    return (DjlLoadedModel) new ModelLoader().load(Digits.spec(key, artifact), Device.cpu());
  }

  @Test
  void closingFreesTheModelsNativeMemory() {
    int baseline = system.getManagedArrays().size();
    for (int i = 0; i < 20; i++) {
      DjlLoadedModel model = load(key("digits", i + 1));
      model.forward(List.of(Digits.input(Digits.heldOut().inputs()[i])));
      // 3 linear layers: weights and biases
      assertThat(system.getManagedArrays()).hasSize(baseline + 6);
      model.close();
      assertThat(model.manager().isOpen()).isFalse();
      assertThat(system.getManagedArrays()).hasSize(baseline);
    }
  }

  @Test
  void forwardPassesLeaveNothingBehind() {
    try (DjlLoadedModel model = load(key("digits", 1))) {
      int parameters = model.manager().getManagedArrays().size();
      for (int i = 0; i < 100; i++) {
        model.forward(List.of(Digits.input(Digits.heldOut().inputs()[i])));
      }
      assertThat(model.manager().getManagedArrays()).hasSize(parameters);
    }
  }

  @Test
  void closeIsIdempotentAndEndsInference() {
    DjlLoadedModel model = load(key("digits", 1));
    model.close();
    model.close();
    assertThatThrownBy(() -> model.forward(List.of(Digits.input(new float[64]))))
        .isInstanceOf(ModelNotResidentException.class).hasMessageContaining("acme/digits:1");
  }

  @Test
  void anEngineFailureIsAnInferenceExceptionAndTheModelKeepsServing() {
    try (DjlLoadedModel model = load(key("digits", 1))) {
      Tensor wrong = Digits.input(new float[63]);
      assertThatThrownBy(() -> model.forward(List.of(wrong)))
          .isInstanceOf(InferenceException.class)
          .isNotInstanceOf(ModelNotResidentException.class)
          .hasMessageStartingWith("forward pass of acme/digits:1 failed: ")
          .hasMessageContaining("1x63")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
      assertThat(model.forward(List.of(Digits.input(new float[64]))).get(0).shape()).containsExactly(1, 10);
    }
  }

  @Test
  void outputsMustMatchTheManifest() {
    ModelSpec twoOutputs = new ModelSpec(key("digits", 9), artifact, "torchscript", Digits.INPUTS,
        List.of(new TensorSpec("logits", "FP32", List.of(-1L, 10L)), new TensorSpec("label", "INT64", List.of(-1L))),
        Long.MAX_VALUE);
    try (LoadedModel model = new ModelLoader().load(twoOutputs, Device.cpu())) {
      assertThatThrownBy(() -> model.forward(List.of(Digits.input(new float[64]))))
          .isInstanceOf(InferenceException.class).hasMessageContaining("returned 1 outputs, its manifest declares 2");
    }
  }

  @Test
  void concurrentCallersEachGetTheirOwnAnswer() throws Exception {
    float[][] samples = Digits.heldOut().inputs();
    try (DjlLoadedModel model = load(key("digits", 1))) {
      float[][] expected = new float[64][];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = Digits.floats(model.forward(List.of(Digits.input(samples[i]))).get(0));
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int offset = t;
          runs.add(CompletableFuture.runAsync(() -> {
            await(start);
            for (int r = 0; r < 50; r++) {
              int i = (offset * 17 + r) % expected.length;
              float[] got = Digits.floats(model.forward(List.of(Digits.input(samples[i]))).get(0));
              assertThat(got).containsExactly(expected[i], within(1e-5f));
            }
          }, pool));
        }
        start.countDown();
        CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void everyDatatypeCrossesIntoTheEngineAndBack() {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlLoadedModel.ENGINE)) {
      ByteBuffer longs = le(16).putLong(Long.MIN_VALUE).putLong(42);
      NDArray int64 = DjlLoadedModel.toNDArray(manager, new Tensor("x", "INT64", new long[] {2}, longs.array()));
      assertThat(int64.getDataType()).isEqualTo(DataType.INT64);
      assertThat(int64.toLongArray()).containsExactly(Long.MIN_VALUE, 42);
      NDArray bool = DjlLoadedModel.toNDArray(manager, new Tensor("b", "BOOL", new long[] {1, 3}, new byte[] {1, 0, 1}));
      assertThat(bool.toBooleanArray()).containsExactly(true, false, true);
      NDArray fp32 = DjlLoadedModel.toNDArray(manager, Digits.fp32("f", new float[] {1.5f, -2f}));
      assertThat(fp32.getShape()).isEqualTo(new Shape(1, 2));
      assertThat(fp32.toFloatArray()).containsExactly(1.5f, -2f);
      ByteBuffer ints = le(8).putInt(-7).putInt(1 << 30);
      assertThat(DjlLoadedModel.toNDArray(manager, new Tensor("i", "INT32", new long[] {2}, ints.array())).toIntArray())
          .containsExactly(-7, 1 << 30);

      for (String datatype : DjlLoadedModel.ENGINE_TYPES) {
        byte[] data = new byte[6 * Tensor.bytesPerElement(datatype)];
        for (int i = 0; i < data.length; i++) {
          // valid for every type: 0/1 bytes, small positive numbers
          data[i] = (byte) (datatype.equals("BOOL") ? i % 2 : (i % Tensor.bytesPerElement(datatype) == 0 ? i + 1 : 0));
        }
        if (datatype.equals("FP16")) {
          data = le(12).putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0).putShort((short) 0x3800)
              .putShort((short) 0x7BFF).putShort((short) 0x0400).array();
        }
        Tensor in = new Tensor("t", datatype, new long[] {2, 3}, data);
        assertThat(DjlLoadedModel.toTensor("t", DjlLoadedModel.toNDArray(manager, in), datatype)).as(datatype)
            .isEqualTo(in);
      }
    }
  }

  @Test
  void typesTheEngineWouldDieOnAreRefusedBeforeReachingIt() {
    // creating an int16 (or uint16/32/64) tensor aborts the JVM in DJL 0.35.1's PyTorch JNI
    List<TensorSpec> int16 = List.of(new TensorSpec("input", "INT16", List.of(-1L, 64L)));
    ModelSpec spec = new ModelSpec(key("digits", 16), artifact, "torchscript", int16, Digits.OUTPUTS, Long.MAX_VALUE);
    try (LoadedModel model = new ModelLoader().load(spec, Device.cpu())) {
      for (String datatype : List.of("INT16", "UINT16", "UINT32", "UINT64")) {
        Tensor in = new Tensor("input", datatype, new long[] {1, 64}, new byte[64 * Tensor.bytesPerElement(datatype)]);
        assertThatThrownBy(() -> model.forward(List.of(in))).as(datatype)
            .isInstanceOfSatisfying(InvalidInputException.class, e -> {
              assertThat(e.code()).isEqualTo("unsupported_datatype");
              assertThat(e.kind()).isEqualTo(InvalidInputException.Kind.UNPROCESSABLE);
              assertThat(e.getMessage()).contains("input 'input'", datatype);
            });
      }
      // and the model still serves
      assertThat(model.forward(List.of(Digits.input(new float[64])))).hasSize(1);
    }
  }

  @Test
  void outputsTheEngineCannotNameAreReadAsTheManifestDeclares() {
    Path casts = CastsModel.write(store.resolve("casts"));
    List<TensorSpec> input = List.of(new TensorSpec("x", "FP32", List.of(-1L)));
    ModelSpec declared = new ModelSpec(key("casts", 1), casts, "torchscript", input,
        List.of(new TensorSpec("int16", "INT16", List.of(-1L)), new TensorSpec("bf16", "FP32", List.of(-1L))), Long.MAX_VALUE);
    Tensor x = new Tensor("x", "FP32", new long[] {2}, le(8).putFloat(1.5f).putFloat(-2f).array());
    try (LoadedModel model = new ModelLoader().load(declared, Device.cpu())) {
      List<Tensor> out = model.forward(List.of(x));
      assertThat(out.get(0)).isEqualTo(new Tensor("int16", "INT16", new long[] {2}, new byte[] {1, 0, -2, -1}));
      // bfloat16 holds 1.5 and -2 exactly: widened to FP32 without loss
      assertThat(out.get(1).datatype()).isEqualTo("FP32");
      assertThat(Digits.floats(out.get(1))).containsExactly(1.5f, -2f);
    }
    ModelSpec undeclarable = new ModelSpec(key("casts", 2), casts, "torchscript", input,
        List.of(new TensorSpec("int16", "INT16", List.of(-1L)), new TensorSpec("bf16", "UINT16", List.of(-1L))), Long.MAX_VALUE);
    try (LoadedModel model = new ModelLoader().load(undeclarable, Device.cpu())) {
      assertThatThrownBy(() -> model.forward(List.of(x)))
          .isInstanceOf(InferenceException.class).hasMessageContaining("output 'bf16'").hasMessageContaining("UINT16");
    }
  }

  @Test
  void outputsComeBackRowMajorAndOpenInferenceProtocolTyped() {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlLoadedModel.ENGINE)) {
      NDArray matrix = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
      // a transposed view is not contiguous in memory; the tensor must still be row-major
      Tensor transposed = DjlLoadedModel.toTensor("t", matrix.transpose(), "FP32");
      assertThat(transposed.shape()).containsExactly(3, 2);
      assertThat(Digits.floats(transposed)).containsExactly(1, 4, 2, 5, 3, 6);
      // the tensor's own type wins over the manifest's when the engine names it
      assertThat(DjlLoadedModel.toTensor("t", matrix, "FP64").datatype()).isEqualTo("FP32");
    }
    assertThat(DjlLoadedModel.oipType("u", DataType.UINT64)).isEqualTo("UINT64");
    assertThatThrownBy(() -> DjlLoadedModel.oipType("s", DataType.STRING))
        .isInstanceOf(InferenceException.class).hasMessageContaining("output 's'");
  }

  @Test
  void engineMessagesLoseTheirStackFrames() {
    RuntimeException engine = new RuntimeException("""
        The following operation failed in the TorchScript interpreter.
        Traceback of TorchScript, serialized code (most recent call last):
          File "code/__torch__.py", line 12, in forward
        RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x63 and 64x128)
        """);
    assertThat(DjlLoadedModel.engineMessage(new Exception("wrapped", engine)))
        .isEqualTo("RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x63 and 64x128)");
    assertThat(DjlLoadedModel.engineMessage(new RuntimeException(
        "PytorchStreamReader failed locating file constants.pkl: file not found\nException raised from valid at x.cc\n"
            + "frame #0: c10::Error::Error")))
        .isEqualTo("PytorchStreamReader failed locating file constants.pkl: file not found");
    assertThat(DjlLoadedModel.engineMessage(new IllegalStateException())).isEqualTo("IllegalStateException");
  }

  static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
