package io.modelplane.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.modelplane.api.grpc.oip.OpenInference.InferTensorContents;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferRequest;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrpcTensorsTest {

  static ModelInferRequest one(String datatype, InferTensorContents.Builder contents, long... shape) {
    ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
        .setName("x").setDatatype(datatype).setContents(contents);
    for (long d : shape) {
      input.addShape(d);
    }
    return ModelInferRequest.newBuilder().addInputs(input).build();
  }

  static List<TensorSpec> spec(String datatype) {
    return List.of(new TensorSpec("x", datatype, List.of(-1L, 2L)));
  }

  static Tensor decode(ModelInferRequest request, String datatype) {
    return GrpcTensors.decode(request, spec(datatype), 1000).get(0);
  }

  @Test
  void typedInputsBecomeTheLittleEndianBytesRawInputsCarry() {
    Tensor typed = decode(one("INT16", InferTensorContents.newBuilder().addIntContents(-2).addIntContents(300), 1, 2),
        "INT16");
    ByteBuffer raw = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) -2).putShort((short) 300);
    Tensor fromRaw = decode(ModelInferRequest.newBuilder().addInputs(ModelInferRequest.InferInputTensor.newBuilder()
        .setName("x").setDatatype("INT16").addShape(1).addShape(2)).addRawInputContents(ByteString.copyFrom(raw.array()))
        .build(), "INT16");
    assertThat(typed.data()).isEqualTo(fromRaw.data()).isEqualTo(raw.array());
    assertThat(decode(one("BOOL", InferTensorContents.newBuilder().addBoolContents(true).addBoolContents(false), 1, 2),
        "BOOL").data()).containsExactly(1, 0);
    assertThat(decode(one("UINT8", InferTensorContents.newBuilder().addUintContents(255).addUintContents(0), 1, 2),
        "UINT8").data()).containsExactly((byte) 255, 0);
  }

  @Test
  void valuesOutOfTheDatatypesRangeOrInTheWrongFieldAreRefused() {
    assertThatThrownBy(() -> decode(one("INT8", InferTensorContents.newBuilder().addIntContents(1).addIntContents(128),
        1, 2), "INT8")).isInstanceOf(InvalidInputException.class).hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(one("UINT8", InferTensorContents.newBuilder().addUintContents(256)
        .addUintContents(0), 1, 2), "UINT8")).isInstanceOf(InvalidInputException.class).hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(one("INT32", InferTensorContents.newBuilder().addIntContents(1).addFp32Contents(2),
        1, 2), "INT32")).isInstanceOf(InvalidInputException.class).hasMessageContaining("int_contents only");
    assertThatThrownBy(() -> decode(one("FP32", InferTensorContents.newBuilder().addFp32Contents(1), 1, 2), "FP32"))
        .isInstanceOf(InvalidInputException.class)
        .satisfies(e -> assertThat(((InvalidInputException) e).code()).isEqualTo(InvalidInputException.DATA_LENGTH_MISMATCH));
    assertThatThrownBy(() -> decode(one("FP32", InferTensorContents.newBuilder().addFp32Contents(1).addFp32Contents(2),
        1, -2), "FP32")).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void outputsOfEveryTypedDatatypeComeBackInTheirField() {
    byte[] twoInts = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-1).putInt(7).array();
    assertThat(GrpcTensors.contents(new Tensor("y", "UINT32", new long[] {2}, twoInts)).getUintContentsList())
        .containsExactly(-1, 7); // the bits of 4294967295, as protobuf's uint32 carries them
    assertThat(GrpcTensors.contents(new Tensor("y", "INT32", new long[] {2}, twoInts)).getIntContentsList())
        .containsExactly(-1, 7);
    assertThat(GrpcTensors.contents(new Tensor("y", "INT64", new long[] {1}, twoInts)).getInt64ContentsList())
        .containsExactly(0x7FFFFFFFFL);
    assertThat(GrpcTensors.contents(new Tensor("y", "BOOL", new long[] {2}, new byte[] {1, 0})).getBoolContentsList())
        .containsExactly(true, false);
    assertThat(GrpcTensors.typed("FP16")).isFalse();
    assertThat(GrpcTensors.typed("UINT64")).isTrue();
  }
}
