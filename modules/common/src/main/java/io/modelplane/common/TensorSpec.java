package io.modelplane.common;

import java.util.List;
import java.util.Set;

/**
 * One input or output tensor of a model version: name, Open Inference Protocol datatype and shape
 * (-1 marks a variable dimension, normally the batch dimension).
 */
public record TensorSpec(String name, String datatype, List<Long> shape) implements CborSerializable {

  /** The datatypes of the Open Inference Protocol v2. */
  public static final Set<String> DATATYPES =
      Set.of("BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
          "FP16", "FP32", "FP64", "BYTES");

  public TensorSpec {
    shape = shape == null ? null : List.copyOf(shape);
  }

  /** The first rule this spec breaks, or null when it is valid. */
  public String violation() {
    if (name == null || name.isBlank() || name.length() > 128) {
      return "tensor name must be 1-128 characters";
    }
    if (datatype == null || !DATATYPES.contains(datatype)) {
      return "tensor " + name + " has unknown datatype " + datatype + "; one of " + DATATYPES;
    }
    if (shape == null || shape.isEmpty() || shape.size() > 16) {
      return "tensor " + name + " needs a shape of 1-16 dimensions";
    }
    for (Long d : shape) {
      if (d == null || d < -1 || d == 0) {
        return "tensor " + name + " shape dimensions must be positive or -1";
      }
    }
    return null;
  }
}
