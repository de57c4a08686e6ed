package io.modelplane.api.predict;

import static io.modelplane.inference.runtime.InvalidInputException.DATATYPE_MISMATCH;
import static io.modelplane.inference.runtime.InvalidInputException.DATA_LENGTH_MISMATCH;
import static io.modelplane.inference.runtime.InvalidInputException.INVALID_BINARY_DATA;
import static io.modelplane.inference.runtime.InvalidInputException.INVALID_INPUT;
import static io.modelplane.inference.runtime.InvalidInputException.MISSING_INPUT;
import static io.modelplane.inference.runtime.InvalidInputException.SHAPE_MISMATCH;
import static io.modelplane.inference.runtime.InvalidInputException.UNKNOWN_INPUT;
import static io.modelplane.inference.runtime.InvalidInputException.UNKNOWN_OUTPUT;
import static io.modelplane.inference.runtime.InvalidInputException.UNSUPPORTED_DATATYPE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InferenceException;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.Signatures;
import io.modelplane.inference.runtime.Tensor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Open Inference Protocol v2 JSON tensors to {@link Tensor}s and back. Works on Jackson trees
 * directly, element by element into the little-endian byte layout, with no data binding. Also the
 * binary tensor data extension: an input with {@code parameters.binary_data_size} takes its bytes
 * from the request's binary part as they are.
 */
public final class TensorCodec {

  /** Elements one request may carry in all when the caller sets no cap of its own (64 MiB of FP32). */
  public static final long DEFAULT_MAX_ELEMENTS = 16L * 1024 * 1024;

  /** The datatypes JSON requests may use; FP16, BYTES and the wide unsigned types are refused. */
  public static final Set<String> SUPPORTED_DATATYPES =
      Set.of("BOOL", "UINT8", "INT8", "INT16", "INT32", "INT64", "FP32", "FP64");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int MAX_RANK = 16;
  private static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

  private TensorCodec() {}

  /** {@link #decodeInputs(JsonNode, List, long)} with {@link #DEFAULT_MAX_ELEMENTS}. */
  public static List<Tensor> decodeInputs(JsonNode inputsArray, List<TensorSpec> specs) {
    return decodeInputs(inputsArray, specs, DEFAULT_MAX_ELEMENTS);
  }

  /**
   * Decodes a request's {@code inputs} array against the model's input specs and returns the tensors
   * in spec order. Throws {@link InvalidInputException} naming the input and what was expected.
   */
  public static List<Tensor> decodeInputs(JsonNode inputsArray, List<TensorSpec> specs, long maxElements) {
    return decodeInputs(inputsArray, specs, maxElements, null);
  }

  /**
   * {@link #decodeInputs(JsonNode, List, long)} for a request of the binary tensor data extension:
   * inputs with {@code parameters.binary_data_size} take that many bytes of {@code binary} (the bytes
   * after the JSON part; null when there are none) in the order they appear, and all of it must be used.
   */
  public static List<Tensor> decodeInputs(JsonNode inputsArray, List<TensorSpec> specs, long maxElements,
      ByteBuffer binary) {
    if (inputsArray == null || !inputsArray.isArray()) {
      throw malformed(INVALID_INPUT, "'inputs' must be an array of tensors");
    }
    Tensor[] bySpec = new Tensor[specs.size()];
    long budget = maxElements;
    for (int i = 0; i < inputsArray.size(); i++) {
      JsonNode element = inputsArray.get(i);
      if (!element.isObject()) {
        throw malformed(INVALID_INPUT, "inputs[" + i + "] must be an object with name, shape, datatype and data");
      }
      JsonNode nameNode = element.get("name");
      if (nameNode == null || !nameNode.isTextual()) {
        throw malformed(INVALID_INPUT, "inputs[" + i + "] needs a string 'name'");
      }
      String name = nameNode.textValue();
      JsonNode shapeNode = element.get("shape");
      JsonNode datatypeNode = element.get("datatype");
      JsonNode data = element.get("data");
      long binarySize = binaryDataSize(name, element.get("parameters"));
      if (data != null && binarySize >= 0) {
        throw malformed(INVALID_INPUT, "input '" + name + "' has both data and parameters.binary_data_size;"
            + " send its values one way only");
      }
      if (shapeNode == null || datatypeNode == null || (data == null && binarySize < 0)) {
        throw malformed(INVALID_INPUT, "input '" + name + "' needs name, shape, datatype and data"
            + " (or parameters.binary_data_size); "
            + (shapeNode == null ? "shape" : datatypeNode == null ? "datatype" : "data") + " is missing");
      }
      long[] shape = shape(name, shapeNode);
      String datatype = datatype(name, datatypeNode);
      int index = indexOf(specs, name);
      if (index < 0) {
        throw unprocessable(UNKNOWN_INPUT, "input '" + name + "' is not an input of this model; its inputs are "
            + names(specs));
      }
      if (bySpec[index] != null) {
        throw malformed(INVALID_INPUT, "input '" + name + "' appears more than once");
      }
      TensorSpec spec = specs.get(index);
      if (!datatype.equals(spec.datatype())) {
        throw unprocessable(DATATYPE_MISMATCH, "input '" + name + "' has datatype " + datatype + "; the model expects "
            + spec.datatype());
      }
      if (!Signatures.fits(shape, spec.shape())) {
        throw unprocessable(SHAPE_MISMATCH, "input '" + name + "' has shape " + Arrays.toString(shape)
            + "; the model expects " + spec.shape() + " (-1: any size)");
      }
      long count = elementCount(shape, budget);
      if (count < 0) {
        throw malformed(INVALID_INPUT, "the request carries more than " + maxElements + " tensor elements");
      }
      budget -= count;
      byte[] bytes = data != null
          ? data(name, datatype, shape, (int) count, data)
          : binary(name, datatype, shape, count, binarySize, binary);
      bySpec[index] = new Tensor(name, datatype, shape, bytes);
    }
    if (binary != null && binary.hasRemaining()) {
      throw malformed(INVALID_BINARY_DATA, "the binary part has " + binary.remaining() + " bytes more than the"
          + " inputs' binary_data_size values add up to");
    }
    for (int j = 0; j < bySpec.length; j++) {
      if (bySpec[j] == null) {
        throw unprocessable(MISSING_INPUT, "input '" + specs.get(j).name() + "' is missing; the model's inputs are "
            + names(specs));
      }
    }
    for (int j = 1; j < bySpec.length; j++) {
      if (bySpec[j].shape()[0] != bySpec[0].shape()[0]) {
        throw unprocessable(SHAPE_MISMATCH, "inputs must share their batch size (dimension 0): '" + bySpec[0].name()
            + "' has " + bySpec[0].shape()[0] + ", '" + bySpec[j].name() + "' has " + bySpec[j].shape()[0]);
      }
    }
    return List.of(bySpec);
  }

  /**
   * Which outputs a request wants and which of them as raw bytes (binary tensor data extension).
   * {@code names} null: all of them.
   */
  public record OutputSelection(Set<String> names, Map<String, Boolean> binaryByName, boolean binaryByDefault) {
    public boolean wants(String name) {
      return names == null || names.contains(name);
    }

    public boolean binary(String name) {
      return binaryByName.getOrDefault(name, binaryByDefault);
    }
  }

  /**
   * A request's {@code outputs} filter and binary choices. An output's own {@code parameters.binary_data}
   * decides for it; else the request's {@code parameters.binary_data_output}, else its top-level
   * {@code binary_data_output} (both mean the same; each, when given, must be a boolean). An empty or
   * unknown-named filter is a 400.
   */
  public static OutputSelection selectOutputs(JsonNode request, List<TensorSpec> outputs) {
    JsonNode parameters = request.get("parameters");
    boolean topLevel = flag(request, "binary_data_output", "the request");
    boolean binaryByDefault = parameters != null && parameters.isObject() && present(parameters.get("binary_data_output"))
        ? flag(parameters, "binary_data_output", "the request's parameters")
        : topLevel;
    JsonNode filter = request.get("outputs");
    if (filter == null || filter.isNull()) {
      return new OutputSelection(null, Map.of(), binaryByDefault);
    }
    if (!filter.isArray()) {
      throw malformed(INVALID_INPUT, "outputs must be an array of {\"name\": ...}");
    }
    if (filter.isEmpty()) {
      // an empty list would answer with no outputs at all: surely not what the caller meant
      throw malformed(INVALID_INPUT, "outputs, when given, must name at least one output; leave it out for all");
    }
    Set<String> known = new LinkedHashSet<>();
    outputs.forEach(o -> known.add(o.name()));
    Set<String> wanted = new HashSet<>();
    Map<String, Boolean> binary = new HashMap<>();
    for (JsonNode o : filter) {
      JsonNode nameNode = o.isObject() ? o.get("name") : null;
      String name = nameNode != null && nameNode.isTextual() ? nameNode.textValue() : null;
      if (name == null || !known.contains(name)) {
        throw malformed(UNKNOWN_OUTPUT, "requested output " + (name == null ? "without a name" : "'" + name + "'")
            + " is not one of " + known);
      }
      wanted.add(name);
      JsonNode own = o.get("parameters");
      if (own != null && own.isObject() && present(own.get("binary_data"))) {
        binary.put(name, flag(own, "binary_data", "the parameters of output '" + name + "'"));
      }
    }
    return new OutputSelection(wanted, binary, binaryByDefault);
  }

  /** The request's {@code id} to echo: null when absent; a string (as the protocol says) or a 400. */
  public static String requestId(JsonNode request) {
    JsonNode id = request.get("id");
    if (id == null || id.isNull()) {
      return null;
    }
    if (!id.isTextual()) {
      throw malformed(INVALID_INPUT, "id must be a string, is " + abbreviate(id));
    }
    return id.textValue();
  }

  /** A boolean field of {@code node}: false when absent or null, a 400 when not a boolean. */
  private static boolean flag(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (!present(value)) {
      return false;
    }
    if (!value.isBoolean()) {
      throw malformed(INVALID_INPUT, field + " in " + where + " must be true or false");
    }
    return value.booleanValue();
  }

  private static boolean present(JsonNode value) {
    return value != null && !value.isNull();
  }

  /**
   * One output tensor for the binary tensor data extension: {@code {name, shape, datatype,
   * parameters: {binary_data_size}}}; its bytes ({@link Tensor#data()}, little-endian) follow the JSON.
   */
  public static ObjectNode encodeBinaryOutput(Tensor t) {
    ObjectNode node = outputHeader(t);
    node.putObject("parameters").put("binary_data_size", t.data().length);
    return node;
  }

  /** {@code {name, shape, datatype}} of an output tensor. */
  private static ObjectNode outputHeader(Tensor t) {
    ObjectNode node = NODES.objectNode();
    node.put("name", t.name());
    ArrayNode shape = node.putArray("shape");
    for (long d : t.shape()) {
      shape.add(d);
    }
    node.put("datatype", t.datatype());
    return node;
  }

  /** One output tensor as {@code {name, shape, datatype, data}} with flat, typed data. */
  public static ObjectNode encodeOutput(Tensor t) {
    ObjectNode node = outputHeader(t);
    ArrayNode data = node.putArray("data");
    readElements(t, new Elements() {
      @Override
      public void bool(boolean v) {
        data.add(v);
      }

      @Override
      public void int32(int v) {
        data.add(v);
      }

      @Override
      public void uint16(int v) {
        data.add(v);
      }

      @Override
      public void uint32(int v) {
        data.add(Integer.toUnsignedLong(v));
      }

      @Override
      public void int64(long v) {
        data.add(v);
      }

      @Override
      public void uint64(long v) {
        if (v >= 0) {
          data.add(v);
        } else {
          data.add(new BigInteger(Long.toUnsignedString(v)));
        }
      }

      @Override
      public void fp32(float v) {
        data.add(v);
      }

      @Override
      public void fp64(double v) {
        data.add(v);
      }
    });
    return node;
  }

  /**
   * Receives a tensor's elements in row-major order, each as the widest Java type its datatype needs:
   * INT8, INT16 and INT32 as {@link #int32}; UINT8 and UINT16 as {@link #uint16}; UINT32 as
   * {@link #uint32} (the bits of an unsigned 32-bit value); FP16 as {@link #fp32}.
   */
  public interface Elements {
    void bool(boolean v);

    void int32(int v);

    void uint16(int v);

    void uint32(int v);

    void int64(long v);

    void uint64(long v);

    void fp32(float v);

    void fp64(double v);
  }

  /** Hands {@code t}'s elements (its little-endian {@link Tensor#data()}) to {@code to}, in order. */
  public static void readElements(Tensor t, Elements to) {
    byte[] b = t.data();
    int n = (int) t.elementCount();
    switch (t.datatype()) {
      case "BOOL" -> {
        for (int i = 0; i < n; i++) {
          to.bool(b[i] != 0);
        }
      }
      case "UINT8" -> {
        for (int i = 0; i < n; i++) {
          to.uint16(b[i] & 0xFF);
        }
      }
      case "INT8" -> {
        for (int i = 0; i < n; i++) {
          to.int32(b[i]);
        }
      }
      case "UINT16" -> {
        for (int i = 0; i < n; i++) {
          to.uint16((short) SHORT.get(b, i * 2) & 0xFFFF);
        }
      }
      case "INT16" -> {
        for (int i = 0; i < n; i++) {
          to.int32((short) SHORT.get(b, i * 2));
        }
      }
      case "UINT32" -> {
        for (int i = 0; i < n; i++) {
          to.uint32((int) INT.get(b, i * 4));
        }
      }
      case "INT32" -> {
        for (int i = 0; i < n; i++) {
          to.int32((int) INT.get(b, i * 4));
        }
      }
      case "UINT64" -> {
        for (int i = 0; i < n; i++) {
          to.uint64((long) LONG.get(b, i * 8));
        }
      }
      case "INT64" -> {
        for (int i = 0; i < n; i++) {
          to.int64((long) LONG.get(b, i * 8));
        }
      }
      case "FP16" -> {
        for (int i = 0; i < n; i++) {
          to.fp32(halfToFloat((short) SHORT.get(b, i * 2)));
        }
      }
      case "FP32" -> {
        for (int i = 0; i < n; i++) {
          to.fp32((float) FLOAT.get(b, i * 4));
        }
      }
      case "FP64" -> {
        for (int i = 0; i < n; i++) {
          to.fp64((double) DOUBLE.get(b, i * 8));
        }
      }
      default -> throw new InferenceException("output '" + t.name() + "' has datatype " + t.datatype()
          + ", which has no typed encoding here");
    }
  }

  private static long[] shape(String name, JsonNode node) {
    if (!node.isArray() || node.size() > MAX_RANK) {
      throw malformed(INVALID_INPUT, "shape of input '" + name + "' must be an array of at most " + MAX_RANK
          + " positive integers");
    }
    long[] shape = new long[node.size()];
    for (int d = 0; d < shape.length; d++) {
      JsonNode dim = node.get(d);
      if (!dim.isIntegralNumber() || !dim.canConvertToLong() || dim.longValue() <= 0) {
        throw malformed(INVALID_INPUT, "shape of input '" + name + "' must hold positive integers, has " + node);
      }
      shape[d] = dim.longValue();
    }
    return shape;
  }

  private static String datatype(String name, JsonNode node) {
    String datatype = node.isTextual() ? node.textValue() : null;
    if (datatype == null || !TensorSpec.DATATYPES.contains(datatype)) {
      throw malformed(INVALID_INPUT, "input '" + name + "' has datatype " + node + ", not an Open Inference Protocol"
          + " datatype");
    }
    if (!SUPPORTED_DATATYPES.contains(datatype)) {
      throw unprocessable(UNSUPPORTED_DATATYPE, "input '" + name + "' has datatype " + datatype
          + ", which is not supported; use one of " + SUPPORTED_DATATYPES);
    }
    return datatype;
  }

  private static int indexOf(List<TensorSpec> specs, String name) {
    for (int i = 0; i < specs.size(); i++) {
      if (specs.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The product of {@code shape}, or -1 when it exceeds {@code budget} (or what one array can hold). */
  private static long elementCount(long[] shape, long budget) {
    long limit = Math.min(budget, MAX_ARRAY_BYTES / 8);
    long count = 1;
    for (long d : shape) {
      if (count > limit / d) {
        return -1;
      }
      count *= d;
    }
    return count;
  }

  /** An input's {@code parameters.binary_data_size}, or -1 when it has none (parameters that are no object: ignored). */
  private static long binaryDataSize(String name, JsonNode parameters) {
    if (parameters == null || !parameters.isObject()) {
      return -1;
    }
    JsonNode size = parameters.get("binary_data_size");
    if (size == null || size.isNull()) {
      return -1;
    }
    if (!size.isIntegralNumber() || !size.canConvertToLong() || size.longValue() < 0) {
      throw malformed(INVALID_INPUT, "parameters.binary_data_size of input '" + name
          + "' must be a non-negative integer, is " + abbreviate(size));
    }
    return size.longValue();
  }

  private static byte[] binary(String name, String datatype, long[] shape, long count, long size, ByteBuffer binary) {
    long expected = count * Tensor.bytesPerElement(datatype);
    if (size != expected) {
      throw malformed(DATA_LENGTH_MISMATCH, "input '" + name + "' has binary_data_size " + size + "; " + datatype
          + Arrays.toString(shape) + " needs " + expected + " bytes");
    }
    int available = binary == null ? 0 : binary.remaining();
    if (available < size) {
      throw malformed(INVALID_BINARY_DATA, "input '" + name + "' needs " + size + " bytes of binary data, "
          + (binary == null ? "the request has no binary part" : "only " + available + " are left"));
    }
    byte[] bytes = new byte[(int) size];
    binary.get(bytes);
    if ("BOOL".equals(datatype)) {
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] != 0 && bytes[i] != 1) {
          throw malformed(INVALID_INPUT, "binary data of BOOL input '" + name + "' must hold bytes 0 or 1, element "
              + i + " is " + (bytes[i] & 0xFF));
        }
      }
    }
    return bytes;
  }

  private static byte[] data(String name, String datatype, long[] shape, int count, JsonNode data) {
    if (!data.isArray()) {
      throw malformed(INVALID_INPUT, "data of input '" + name + "' must be an array");
    }
    // the data must have the shape's sizes before the shape's bytes are allocated: a body of a few
    // bytes declaring a huge shape is refused without allocating what that shape would need
    ElementWriter writer;
    if (data.size() > 0 && data.get(0).isArray()) {
      checkNesting(name, data, shape, 0);
      writer = new ElementWriter(name, datatype, count);
      writer.nested(data, shape, 0);
    } else {
      if (data.size() != count) {
        throw malformed(DATA_LENGTH_MISMATCH, "input '" + name + "' has " + data.size() + " data elements; shape "
            + Arrays.toString(shape) + " needs " + count);
      }
      writer = new ElementWriter(name, datatype, count);
      writer.flat(data);
    }
    return writer.bytes;
  }

  /** Nested data has exactly the shape's sizes down to the innermost arrays (their elements are checked when written). */
  private static void checkNesting(String name, JsonNode array, long[] shape, int depth) {
    if (array.size() != shape[depth]) {
      throw malformed(DATA_LENGTH_MISMATCH, "data of input '" + name + "' has " + array.size() + " entries at depth "
          + depth + "; shape " + Arrays.toString(shape) + " needs " + shape[depth]);
    }
    if (depth == shape.length - 1) {
      return;
    }
    for (JsonNode e : array) {
      if (!e.isArray()) {
        throw malformed(INVALID_INPUT, "data of input '" + name + "' must be flat or nested exactly like its shape "
            + Arrays.toString(shape));
      }
      checkNesting(name, e, shape, depth + 1);
    }
  }

  /** Writes JSON scalars of one datatype into a tensor's bytes, in row-major order. */
  private static final class ElementWriter {
    private final String name;
    private final String datatype;
    private final byte[] bytes;
    private int next;

    ElementWriter(String name, String datatype, int count) {
      this.name = name;
      this.datatype = datatype;
      this.bytes = new byte[count * Tensor.bytesPerElement(datatype)];
    }

    void nested(JsonNode array, long[] shape, int depth) {
      if (array.size() != shape[depth]) {
        throw malformed(DATA_LENGTH_MISMATCH, "data of input '" + name + "' has " + array.size() + " entries at depth "
            + depth + "; shape " + Arrays.toString(shape) + " needs " + shape[depth]);
      }
      boolean leaves = depth == shape.length - 1;
      for (int i = 0; i < array.size(); i++) {
        JsonNode e = array.get(i);
        if (leaves) {
          if (e.isArray()) {
            throw malformed(INVALID_INPUT, "data of input '" + name + "' is nested deeper than its shape "
                + Arrays.toString(shape));
          }
          write(e);
        } else if (e.isArray()) {
          nested(e, shape, depth + 1);
        } else {
          throw malformed(INVALID_INPUT, "data of input '" + name + "' must be flat or nested exactly like its shape "
              + Arrays.toString(shape));
        }
      }
    }

    void flat(JsonNode array) {
      if ("FP32".equals(datatype)) {
        // the common case (images, features): its own tight loop
        for (int i = 0; i < array.size(); i++) {
          JsonNode e = array.get(i);
          if (!e.isNumber()) {
            throw notA("number", e);
          }
          float f = e.floatValue();
          if (!Float.isFinite(f)) {
            throw outOfRange(e);
          }
          FLOAT.set(bytes, next * 4, f);
          next++;
        }
        return;
      }
      for (int i = 0; i < array.size(); i++) {
        JsonNode e = array.get(i);
        if (e.isArray()) {
          throw malformed(INVALID_INPUT, "data of input '" + name + "' mixes nested arrays and numbers");
        }
        write(e);
      }
    }

    private void write(JsonNode e) {
      int i = next;
      switch (datatype) {
        case "BOOL" -> {
          if (!e.isBoolean()) {
            throw notA("true/false", e);
          }
          bytes[i] = e.booleanValue() ? (byte) 1 : (byte) 0;
        }
        case "UINT8" -> bytes[i] = (byte) integer(e, 0, 255);
        case "INT8" -> bytes[i] = (byte) integer(e, Byte.MIN_VALUE, Byte.MAX_VALUE);
        case "INT16" -> SHORT.set(bytes, i * 2, (short) integer(e, Short.MIN_VALUE, Short.MAX_VALUE));
        case "INT32" -> INT.set(bytes, i * 4, (int) integer(e, Integer.MIN_VALUE, Integer.MAX_VALUE));
        case "INT64" -> LONG.set(bytes, i * 8, integer(e, Long.MIN_VALUE, Long.MAX_VALUE));
        case "FP32" -> {
          if (!e.isNumber()) {
            throw notA("number", e);
          }
          float f = e.floatValue();
          if (!Float.isFinite(f)) {
            throw outOfRange(e);
          }
          FLOAT.set(bytes, i * 4, f);
        }
        case "FP64" -> {
          if (!e.isNumber()) {
            throw notA("number", e);
          }
          double d = e.doubleValue();
          if (!Double.isFinite(d)) {
            throw outOfRange(e);
          }
          DOUBLE.set(bytes, i * 8, d);
        }
        default -> throw new IllegalStateException("unsupported datatype passed validation: " + datatype);
      }
      next = i + 1;
    }

    private long integer(JsonNode e, long min, long max) {
      // integers only: 1.5 (or 1.0) for an integer input is a client bug worth reporting
      if (!e.isIntegralNumber()) {
        throw notA("integer", e);
      }
      if (!e.canConvertToLong() || e.longValue() < min || e.longValue() > max) {
        throw outOfRange(e);
      }
      return e.longValue();
    }

    private InvalidInputException notA(String what, JsonNode e) {
      return malformed(INVALID_INPUT, "data of input '" + name + "' must hold " + datatype + " values (" + what
          + "), element " + next + " is " + abbreviate(e));
    }

    private InvalidInputException outOfRange(JsonNode e) {
      return malformed(INVALID_INPUT, "data of input '" + name + "' element " + next + " = " + abbreviate(e)
          + " is out of range for " + datatype);
    }
  }

  private static String abbreviate(JsonNode e) {
    String s = e.toString();
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  private static List<String> names(List<TensorSpec> specs) {
    List<String> names = new ArrayList<>(specs.size());
    specs.forEach(s -> names.add(s.name()));
    return names;
  }

  private static float halfToFloat(short half) {
    int h = half & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      // zero or subnormal: mantissa * 2^-24
      float value = mantissa * 0x1p-24f;
      return sign == 0 ? value : -value;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  private static InvalidInputException malformed(String code, String message) {
    return InvalidInputException.malformed(code, message);
  }

  private static InvalidInputException unprocessable(String code, String message) {
    return InvalidInputException.unprocessable(code, message);
  }
}
