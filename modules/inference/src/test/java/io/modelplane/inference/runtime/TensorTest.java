package io.modelplane.inference.runtime;

import static io.modelplane.inference.runtime.TestKeys.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class TensorTest {

  @Test
  void equalityAndHashAreOverContents() {
    Tensor a = new Tensor("x", "INT16", new long[] {2, 1}, new byte[] {1, 0, 2, 0});
    Tensor b = new Tensor("x", "INT16", new long[] {2, 1}, new byte[] {1, 0, 2, 0});
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(new Tensor("x", "INT16", new long[] {2, 1}, new byte[] {1, 0, 3, 0}));
    assertThat(a).isNotEqualTo(new Tensor("x", "INT16", new long[] {1, 2}, new byte[] {1, 0, 2, 0}));
    assertThat(a).isNotEqualTo(new Tensor("x", "UINT16", new long[] {2, 1}, new byte[] {1, 0, 2, 0}));
    assertThat(a).isNotEqualTo(new Tensor("y", "INT16", new long[] {2, 1}, new byte[] {1, 0, 2, 0}));
  }

  @Test
  void toStringShowsShapeButNotTheData() {
    Tensor t = new Tensor("pixels", "FP32", new long[] {1, 64}, new byte[256]);
    assertThat(t.toString()).isEqualTo("Tensor[name=pixels, datatype=FP32, shape=[1, 64], data=256 bytes]");
  }

  @Test
  void elementCountAndElementSizes() {
    assertThat(new Tensor("x", "FP64", new long[] {3, 4}, new byte[96]).elementCount()).isEqualTo(12);
    assertThat(new Tensor("x", "BOOL", new long[] {}, new byte[1]).elementCount()).isEqualTo(1);
    assertThat(new Tensor("x", "FP32", new long[] {0, 64}, new byte[0]).elementCount()).isZero();
    assertThat(Tensor.bytesPerElement("BOOL")).isEqualTo(1);
    assertThat(Tensor.bytesPerElement("UINT8")).isEqualTo(1);
    assertThat(Tensor.bytesPerElement("INT8")).isEqualTo(1);
    assertThat(Tensor.bytesPerElement("INT16")).isEqualTo(2);
    assertThat(Tensor.bytesPerElement("UINT16")).isEqualTo(2);
    assertThat(Tensor.bytesPerElement("FP16")).isEqualTo(2);
    assertThat(Tensor.bytesPerElement("INT32")).isEqualTo(4);
    assertThat(Tensor.bytesPerElement("UINT32")).isEqualTo(4);
    assertThat(Tensor.bytesPerElement("FP32")).isEqualTo(4);
    assertThat(Tensor.bytesPerElement("INT64")).isEqualTo(8);
    assertThat(Tensor.bytesPerElement("UINT64")).isEqualTo(8);
    assertThat(Tensor.bytesPerElement("FP64")).isEqualTo(8);
    assertThatThrownBy(() -> Tensor.bytesPerElement("BYTES")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Tensor.bytesPerElement("FLOAT")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesDataThatDoesNotMatchItsShape() {
    assertThatThrownBy(() -> new Tensor("x", "FP32", new long[] {1, 64}, new byte[255]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 256 bytes, has 255");
    assertThatThrownBy(() -> new Tensor("x", "FP32", new long[] {-1, 64}, new byte[256]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    assertThatThrownBy(() -> new Tensor("x", "FP32", new long[] {Long.MAX_VALUE, 64}, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too large");
    assertThatThrownBy(() -> new Tensor(null, "FP32", new long[] {1}, new byte[4])).isInstanceOf(NullPointerException.class);
  }

  @Test
  void travelsAsJson() throws Exception {
    // tensors ride in the worker's (Jackson-serialized) messages
    ObjectMapper mapper = new ObjectMapper();
    Tensor t = new Tensor("x", "INT32", new long[] {1, 2}, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    assertThat(mapper.readValue(mapper.writeValueAsBytes(t), Tensor.class)).isEqualTo(t);
  }

  @Test
  void settingsAndSpecsRefuseNonsense() {
    assertThatThrownBy(() -> new BatchSettings(0, 0, 1)).hasMessageContaining("maxBatchSize");
    assertThatThrownBy(() -> new BatchSettings(1, -1, 1)).hasMessageContaining("maxBatchDelayMs");
    assertThatThrownBy(() -> new BatchSettings(1, 0, 0)).hasMessageContaining("queueCapacity");
    assertThatThrownBy(() -> FakeModel.spec(key("a", 1), -1)).hasMessageContaining("sizeBytes");
  }
}
