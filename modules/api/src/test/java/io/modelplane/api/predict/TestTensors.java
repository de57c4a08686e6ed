package io.modelplane.api.predict;

import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** FP32 tensors for codec tests, in the digits model's signature (FP32 [-1,64]). */
final class TestTensors {
  static final List<TensorSpec> INPUTS = List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L)));

  private TestTensors() {}

  static Tensor fp32(String name, float[]... rows) {
    int width = rows[0].length;
    ByteBuffer data = ByteBuffer.allocate(rows.length * width * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] row : rows) {
      for (float v : row) {
        data.putFloat(v);
      }
    }
    return new Tensor(name, "FP32", new long[] {rows.length, width}, data.array());
  }

  static float[] floats(Tensor t) {
    ByteBuffer data = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[t.data().length / 4];
    for (int i = 0; i < values.length; i++) {
      values[i] = data.getFloat();
    }
    return values;
  }
}
