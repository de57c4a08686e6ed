package io.modelplane.inference.runtime;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor in wire-neutral form: Open Inference Protocol datatype name, shape, and the raw
 * little-endian element bytes (BOOL is one byte, 0 or 1). The arrays are not copied: a tensor owns
 * them and nobody mutates them after construction.
 */
public record Tensor(String name, String datatype, long[] shape, byte[] data) {

  public Tensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    long expected;
    try {
      expected = Math.multiplyExact(elementCount(shape), bytesPerElement(datatype));
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("tensor " + name + " shape " + Arrays.toString(shape) + " is too large");
    }
    if (data.length != expected) {
      throw new IllegalArgumentException("tensor " + name + " " + datatype + Arrays.toString(shape) + " needs "
          + expected + " bytes, has " + data.length);
    }
  }

  /** The number of elements: the product of the shape (1 for a scalar). */
  public long elementCount() {
    return elementCount(shape);
  }

  /** The size of one element of an Open Inference Protocol datatype; BYTES has none. */
  public static int bytesPerElement(String datatype) {
    return switch (datatype) {
      case "BOOL", "UINT8", "INT8" -> 1;
      case "UINT16", "INT16", "FP16" -> 2;
      case "UINT32", "INT32", "FP32" -> 4;
      case "UINT64", "INT64", "FP64" -> 8;
      case "BYTES" -> throw new IllegalArgumentException("BYTES elements have no fixed size");
      default -> throw new IllegalArgumentException("unknown datatype " + datatype);
    };
  }

  private static long elementCount(long[] shape) {
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      count = Math.multiplyExact(count, d);
    }
    return count;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t && name.equals(t.name) && datatype.equals(t.datatype)
        && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return ((name.hashCode() * 31 + datatype.hashCode()) * 31 + Arrays.hashCode(shape)) * 31 + Arrays.hashCode(data);
  }

  /** Names, datatype and shape; the data only by size (it can be megabytes). */
  @Override
  public String toString() {
    return "Tensor[name=" + name + ", datatype=" + datatype + ", shape=" + Arrays.toString(shape)
        + ", data=" + data.length + " bytes]";
  }
}
