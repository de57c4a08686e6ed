package io.modelplane.api.grpc;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.modelplane.api.grpc.oip.OpenInference.InferParameter;
import io.modelplane.api.grpc.oip.OpenInference.InferTensorContents;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferRequest;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferResponse;
import io.modelplane.api.predict.TensorCodec;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.Tensor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * OIP gRPC tensors to and from the node's {@link Tensor}s. Inputs become the binary tensor data form
 * that {@link TensorCodec} validates for REST (names, datatypes, shapes, sizes, element budget), so both
 * protocols accept and refuse the same requests; typed {@code contents} are first written as their
 * little-endian bytes.
 */
final class GrpcTensors {
  /** The request parameter (bool) that asks for raw or typed outputs; by default as the inputs came. */
  static final String BINARY_OUTPUT = "binary_data_output";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

  private static final java.util.Set<String> TYPED_OUTPUTS = java.util.Set.of("BOOL", "UINT8", "UINT16", "UINT32",
      "UINT64", "INT8", "INT16", "INT32", "INT64", "FP32", "FP64");

  private GrpcTensors() {}

  /** The request's inputs against the version's input specs, in spec order; {@link InvalidInputException} if they do not fit. */
  static List<Tensor> decode(ModelInferRequest request, List<TensorSpec> specs, long maxElements) {
    int raw = request.getRawInputContentsCount();
    if (raw > 0 && raw != request.getInputsCount()) {
      throw malformed(InvalidInputException.INVALID_BINARY_DATA, "raw_input_contents has " + raw
          + " entries for " + request.getInputsCount() + " inputs; send one per input, in the order of inputs");
    }
    ArrayNode inputs = NODES.arrayNode();
    ByteString[] data = new ByteString[request.getInputsCount()];
    for (int i = 0; i < request.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor input = request.getInputs(i);
      if (raw > 0 && input.hasContents()) {
        throw malformed(InvalidInputException.INVALID_INPUT, "input '" + input.getName() + "' has contents while the"
            + " request has raw_input_contents; send all inputs one way");
      }
      data[i] = raw > 0 ? request.getRawInputContents(i) : contents(input);
      ObjectNode node = inputs.addObject();
      node.put("name", input.getName());
      node.put("datatype", input.getDatatype());
      ArrayNode shape = node.putArray("shape");
      input.getShapeList().forEach(shape::add);
      node.putObject("parameters").put("binary_data_size", data[i].size());
    }
    return TensorCodec.decodeInputs(inputs, specs, maxElements, concat(data));
  }

  /** The bytes of all inputs in order; one input's bytes are not copied. */
  private static ByteBuffer concat(ByteString[] data) {
    if (data.length == 1) {
      return data[0].asReadOnlyByteBuffer();
    }
    return ByteString.copyFrom(Arrays.asList(data)).asReadOnlyByteBuffer();
  }

  /**
   * A typed input's values as little-endian bytes. A datatype without a contents field here gets none:
   * {@link TensorCodec} names what is wrong with it.
   */
  private static ByteString contents(ModelInferRequest.InferInputTensor input) {
    String name = input.getName();
    String datatype = input.getDatatype();
    InferTensorContents c = input.getContents();
    String field = field(datatype);
    if (field == null) {
      return ByteString.EMPTY;
    }
    int count = switch (field) {
      case "bool_contents" -> c.getBoolContentsCount();
      case "int_contents" -> c.getIntContentsCount();
      case "int64_contents" -> c.getInt64ContentsCount();
      case "uint_contents" -> c.getUintContentsCount();
      case "fp32_contents" -> c.getFp32ContentsCount();
      default -> c.getFp64ContentsCount();
    };
    int all = c.getBoolContentsCount() + c.getIntContentsCount() + c.getInt64ContentsCount() + c.getUintContentsCount()
        + c.getUint64ContentsCount() + c.getFp32ContentsCount() + c.getFp64ContentsCount() + c.getBytesContentsCount();
    if (all != count) {
      throw malformed(InvalidInputException.INVALID_INPUT, "input '" + name + "' of datatype " + datatype
          + " takes its values in contents." + field + " only");
    }
    long expected = elements(input.getShapeList());
    if (expected >= 0 && expected != count) {
      throw malformed(InvalidInputException.DATA_LENGTH_MISMATCH, "input '" + name + "' has " + count + " values in "
          + field + "; shape " + input.getShapeList() + " needs " + expected);
    }
    byte[] b = new byte[Math.multiplyExact(count, Tensor.bytesPerElement(datatype))];
    switch (datatype) {
      case "BOOL" -> {
        for (int i = 0; i < count; i++) {
          b[i] = (byte) (c.getBoolContents(i) ? 1 : 0);
        }
      }
      case "UINT8" -> {
        for (int i = 0; i < count; i++) {
          b[i] = (byte) ranged(name, Integer.toUnsignedLong(c.getUintContents(i)), 0, 255, i);
        }
      }
      case "INT8" -> {
        for (int i = 0; i < count; i++) {
          b[i] = (byte) ranged(name, c.getIntContents(i), Byte.MIN_VALUE, Byte.MAX_VALUE, i);
        }
      }
      case "INT16" -> {
        for (int i = 0; i < count; i++) {
          SHORT.set(b, i * 2, (short) ranged(name, c.getIntContents(i), Short.MIN_VALUE, Short.MAX_VALUE, i));
        }
      }
      case "INT32" -> {
        for (int i = 0; i < count; i++) {
          INT.set(b, i * 4, c.getIntContents(i));
        }
      }
      case "INT64" -> {
        for (int i = 0; i < count; i++) {
          LONG.set(b, i * 8, c.getInt64Contents(i));
        }
      }
      case "FP32" -> {
        for (int i = 0; i < count; i++) {
          FLOAT.set(b, i * 4, c.getFp32Contents(i));
        }
      }
      default -> {
        for (int i = 0; i < count; i++) {
          DOUBLE.set(b, i * 8, c.getFp64Contents(i));
        }
      }
    }
    return UnsafeByteOperations.unsafeWrap(b); // b is ours alone
  }

  /** The contents field of a datatype the node takes typed, or null. */
  private static String field(String datatype) {
    return switch (datatype) {
      case "BOOL" -> "bool_contents";
      case "UINT8" -> "uint_contents";
      case "INT8", "INT16", "INT32" -> "int_contents";
      case "INT64" -> "int64_contents";
      case "FP32" -> "fp32_contents";
      case "FP64" -> "fp64_contents";
      default -> null;
    };
  }

  private static long ranged(String name, long value, long min, long max, int index) {
    if (value < min || value > max) {
      throw malformed(InvalidInputException.INVALID_INPUT, "input '" + name + "' value " + index + " is " + value
          + ", out of range [" + min + ", " + max + "]");
    }
    return value;
  }

  /** The product of a shape, or -1 when it is not a valid one or too large ({@link TensorCodec} refuses it). */
  private static long elements(List<Long> shape) {
    long count = 1;
    for (long d : shape) {
      if (d < 0 || (d > 0 && count > Integer.MAX_VALUE / d)) {
        return -1;
      }
      count *= d;
    }
    return count;
  }

  /** Whether the answer carries raw outputs: the request's {@value #BINARY_OUTPUT}, else as its inputs came. */
  static boolean rawOutputs(ModelInferRequest request) {
    InferParameter asked = request.getParametersMap().get(BINARY_OUTPUT);
    if (asked == null) {
      return request.getRawInputContentsCount() > 0;
    }
    if (asked.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.BOOL_PARAM) {
      throw malformed(InvalidInputException.INVALID_INPUT, "parameters." + BINARY_OUTPUT + " must be a bool_param");
    }
    return asked.getBoolParam();
  }

  /** Which outputs the request names (none: all), as {@link TensorCodec} checks them for REST. */
  static TensorCodec.OutputSelection selection(ModelInferRequest request, List<TensorSpec> outputs) {
    ObjectNode json = NODES.objectNode();
    if (request.getOutputsCount() > 0) {
      ArrayNode wanted = json.putArray("outputs");
      request.getOutputsList().forEach(o -> wanted.addObject().put("name", o.getName()));
    }
    return TensorCodec.selectOutputs(json, outputs);
  }

  /** Whether an output of this datatype has a typed contents field (FP16, BF16 and BYTES answer raw). */
  static boolean typed(String datatype) {
    return TYPED_OUTPUTS.contains(datatype);
  }

  /** An output's header: name, datatype, shape. */
  static ModelInferResponse.InferOutputTensor.Builder header(Tensor t) {
    ModelInferResponse.InferOutputTensor.Builder out = ModelInferResponse.InferOutputTensor.newBuilder()
        .setName(t.name())
        .setDatatype(t.datatype());
    for (long d : t.shape()) {
      out.addShape(d);
    }
    return out;
  }

  /** An output's values in its typed contents field; only for {@link #typed} datatypes. */
  static InferTensorContents contents(Tensor t) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    TensorCodec.readElements(t, new TensorCodec.Elements() {
      @Override
      public void bool(boolean v) {
        c.addBoolContents(v);
      }

      @Override
      public void int32(int v) {
        c.addIntContents(v);
      }

      @Override
      public void uint16(int v) {
        c.addUintContents(v);
      }

      @Override
      public void uint32(int v) {
        c.addUintContents(v);
      }

      @Override
      public void int64(long v) {
        c.addInt64Contents(v);
      }

      @Override
      public void uint64(long v) {
        c.addUint64Contents(v);
      }

      @Override
      public void fp32(float v) {
        c.addFp32Contents(v);
      }

      @Override
      public void fp64(double v) {
        c.addFp64Contents(v);
      }
    });
    return c.build();
  }

  private static InvalidInputException malformed(String code, String message) {
    return InvalidInputException.malformed(code, message);
  }
}
