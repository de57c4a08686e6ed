package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.common.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignaturesTest {
  static final List<TensorSpec> TWO_OUTPUTS = List.of(
      new TensorSpec("logits", "FP32", List.of(-1L, 10L)),
      new TensorSpec("label", "INT64", List.of(-1L)));

  @Test
  void aShapeFitsItsRankAndFixedDimensions() {
    assertThat(Signatures.fits(new long[] {3, 10}, List.of(-1L, 10L))).isTrue();
    assertThat(Signatures.fits(new long[] {3, 11}, List.of(-1L, 10L))).isFalse();
    assertThat(Signatures.fits(new long[] {3}, List.of(-1L, 10L))).isFalse();
  }

  @Test
  void outputsMustMatchTheManifest() {
    Tensor logits = new Tensor("logits", "FP32", new long[] {2, 10}, new byte[80]);
    Tensor label = new Tensor("label", "INT64", new long[] {2}, new byte[16]);
    Signatures.checkOutputs(List.of(logits, label), TWO_OUTPUTS);

    Tensor wide = new Tensor("logits", "FP32", new long[] {2, 12}, new byte[96]);
    assertThatThrownBy(() -> Signatures.checkOutputs(List.of(wide, label), TWO_OUTPUTS))
        .isInstanceOf(OutputMismatchException.class).hasMessageContaining("'logits' as FP32[2, 12]")
        .hasMessageContaining("FP32[-1, 10]");
    Tensor doubles = new Tensor("logits", "FP64", new long[] {2, 10}, new byte[160]);
    assertThatThrownBy(() -> Signatures.checkOutputs(List.of(doubles, label), TWO_OUTPUTS))
        .isInstanceOf(OutputMismatchException.class).hasMessageContaining("FP64");
    Tensor flat = new Tensor("label", "INT64", new long[] {2, 1}, new byte[16]);
    assertThatThrownBy(() -> Signatures.checkOutputs(List.of(logits, flat), TWO_OUTPUTS))
        .isInstanceOf(OutputMismatchException.class).hasMessageContaining("INT64[2, 1]");
    assertThatThrownBy(() -> Signatures.checkOutputs(List.of(logits), TWO_OUTPUTS))
        .isInstanceOf(OutputMismatchException.class).hasMessageContaining("1 outputs");
  }
}
