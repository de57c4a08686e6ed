package io.modelplane.api.predict;

import static io.modelplane.inference.runtime.InvalidInputException.Kind.MALFORMED;
import static io.modelplane.inference.runtime.InvalidInputException.Kind.UNPROCESSABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.ModelAdmission;
import io.modelplane.inference.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TensorCodecTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final List<TensorSpec> DIGITS = TestTensors.INPUTS;
  static final List<TensorSpec> TWO = List.of(
      new TensorSpec("ids", "INT64", List.of(-1L, 3L)),
      new TensorSpec("mask", "BOOL", List.of(-1L, 3L)));

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  static List<Tensor> decode(String inputs, List<TensorSpec> specs) {
    return TensorCodec.decodeInputs(json(inputs), specs);
  }

  static String row(int n, String value) {
    return String.join(",", java.util.Collections.nCopies(n, value));
  }

  static void assertInvalid(ThrowingCallable call, InvalidInputException.Kind kind, String code, String... mentions) {
    assertThatThrownBy(call).isInstanceOfSatisfying(InvalidInputException.class, e -> {
      assertThat(e.kind()).isEqualTo(kind);
      assertThat(e.code()).isEqualTo(code);
      for (String mention : mentions) {
        assertThat(e.getMessage()).contains(mention);
      }
    });
  }

  @Test
  void decodesTheDigitsRequest() {
    List<Tensor> tensors = decode("[{'name':'input','shape':[1,64],'datatype':'FP32','data':[" + row(63, "0.5")
        + ",1.0],'parameters':{'content_type':'x'}}]", DIGITS);
    assertThat(tensors).hasSize(1);
    Tensor t = tensors.get(0);
    assertThat(t.name()).isEqualTo("input");
    assertThat(t.datatype()).isEqualTo("FP32");
    assertThat(t.shape()).containsExactly(1, 64);
    float[] values = TestTensors.floats(t);
    assertThat(values[0]).isEqualTo(0.5f);
    assertThat(values[63]).isEqualTo(1.0f);
  }

  @Test
  void flatAndNestedDataDecodeTheSame() {
    String flat = "[{'name':'input','shape':[2,64],'datatype':'FP32','data':[" + row(64, "0.25") + "," + row(64, "-3")
        + "]}]";
    String nested = "[{'name':'input','shape':[2,64],'datatype':'FP32','data':[[" + row(64, "0.25") + "],["
        + row(64, "-3") + "]]}]";
    assertThat(decode(nested, DIGITS)).isEqualTo(decode(flat, DIGITS));
    List<TensorSpec> cube = List.of(new TensorSpec("c", "INT32", List.of(-1L, 2L, 2L)));
    assertThat(decode("[{'name':'c','shape':[2,2,2],'datatype':'INT32','data':[[[1,2],[3,4]],[[5,6],[7,8]]]}]", cube))
        .isEqualTo(decode("[{'name':'c','shape':[2,2,2],'datatype':'INT32','data':[1,2,3,4,5,6,7,8]}]", cube));
  }

  @Test
  void returnsTensorsInSpecOrder() {
    List<Tensor> tensors = decode("[{'name':'mask','shape':[1,3],'datatype':'BOOL','data':[true,false,true]},"
        + "{'name':'ids','shape':[1,3],'datatype':'INT64','data':[7,8,9]}]", TWO);
    assertThat(tensors).extracting(Tensor::name).containsExactly("ids", "mask");
    assertThat(tensors.get(1).data()).containsExactly(1, 0, 1);
    assertThat(ByteBuffer.wrap(tensors.get(0).data()).order(ByteOrder.LITTLE_ENDIAN).getLong(16)).isEqualTo(9);
  }

  static Stream<Arguments> roundTrips() {
    return Stream.of(
        Arguments.of("BOOL", "[true,false,true,true]"),
        Arguments.of("UINT8", "[0,1,128,255]"),
        Arguments.of("INT8", "[-128,-1,0,127]"),
        Arguments.of("INT16", "[-32768,-2,300,32767]"),
        Arguments.of("INT32", "[-2147483648,-5,70000,2147483647]"),
        Arguments.of("INT64", "[-9223372036854775808,-1,4294967296,9223372036854775807]"),
        Arguments.of("FP32", "[-1.5,0.0,0.1,3.4028235E38]"),
        Arguments.of("FP64", "[-1.5,0.0,0.1,1.0E300]"));
  }

  @ParameterizedTest
  @MethodSource("roundTrips")
  void eachDatatypeRoundTrips(String datatype, String data) throws Exception {
    List<TensorSpec> spec = List.of(new TensorSpec("x", datatype, List.of(-1L, 2L)));
    List<Tensor> tensors = decode("[{'name':'x','shape':[2,2],'datatype':'" + datatype + "','data':" + data + "}]",
        spec);
    assertThat(tensors.get(0).data()).hasSize(4 * Tensor.bytesPerElement(datatype));
    // the values come back exactly as they were written
    assertThat(JSON.writeValueAsString(TensorCodec.encodeOutput(tensors.get(0))))
        .isEqualTo("{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"" + datatype + "\",\"data\":" + data + "}");
  }

  @Test
  void encodesOutputsAsFlatTypedJson() throws Exception {
    Tensor logits = TestTensors.fp32("logits", new float[] {0.1f, -2f}, new float[] {3.25f, 1e-3f});
    ObjectNode node = TensorCodec.encodeOutput(logits);
    assertThat(JSON.writeValueAsString(node))
        .isEqualTo("{\"name\":\"logits\",\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[0.1,-2.0,3.25,0.001]}");
    assertThat(node.get("data").get(0).isFloat()).isTrue();
    assertThat(TensorCodec.encodeOutput(new Tensor("b", "BOOL", new long[] {2}, new byte[] {0, 1})).get("data"))
        .isEqualTo(json("[false,true]"));
  }

  @Test
  void encodesTheTypesOnlyModelsProduce() {
    // unsigned wide integers and half floats cannot come in as JSON, but a model may return them
    ByteBuffer u16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 65535).putShort((short) 7);
    assertThat(TensorCodec.encodeOutput(new Tensor("u", "UINT16", new long[] {2}, u16.array())).get("data"))
        .isEqualTo(json("[65535,7]"));
    ByteBuffer u32 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(-1);
    assertThat(TensorCodec.encodeOutput(new Tensor("u", "UINT32", new long[] {1}, u32.array())).get("data").get(0)
        .longValue()).isEqualTo(4294967295L);
    ByteBuffer u64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).putLong(5);
    assertThat(TensorCodec.encodeOutput(new Tensor("u", "UINT64", new long[] {2}, u64.array())).get("data").toString())
        .isEqualTo("[18446744073709551615,5]");
    // 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), +infinity
    ByteBuffer f16 = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN)
        .putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF).putShort((short) 0x0001)
        .putShort((short) 0x7C00);
    JsonNode halves = TensorCodec.encodeOutput(new Tensor("h", "FP16", new long[] {5}, f16.array())).get("data");
    assertThat(halves.get(0).floatValue()).isEqualTo(1.0f);
    assertThat(halves.get(1).floatValue()).isEqualTo(-2.0f);
    assertThat(halves.get(2).floatValue()).isEqualTo(65504f);
    assertThat(halves.get(3).floatValue()).isEqualTo(0x1p-24f);
    assertThat(halves.get(4).floatValue()).isEqualTo(Float.POSITIVE_INFINITY);
  }

  // --- MALFORMED: invalid_input ---

  @ParameterizedTest
  @ValueSource(strings = {"{}", "'inputs'", "3", "null"})
  void inputsMustBeAnArray(String inputs) {
    assertInvalid(() -> decode(inputs, DIGITS), MALFORMED, "invalid_input", "'inputs' must be an array");
    assertInvalid(() -> TensorCodec.decodeInputs(null, DIGITS), MALFORMED, "invalid_input");
  }

  @Test
  void elementsMustBeObjects() {
    assertInvalid(() -> decode("[1]", DIGITS), MALFORMED, "invalid_input", "inputs[0] must be an object");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{'shape':[1,64],'datatype':'FP32','data':[]}",
      "{'name':7,'shape':[1,64],'datatype':'FP32','data':[]}",
      "{'name':'input','datatype':'FP32','data':[]}",
      "{'name':'input','shape':[1,64],'data':[]}",
      "{'name':'input','shape':[1,64],'datatype':'FP32'}"})
  void everyFieldIsRequired(String element) {
    assertInvalid(() -> decode("[" + element + "]", DIGITS), MALFORMED, "invalid_input");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[0,64]", "[-1,64]", "[1.5,64]", "['1',64]", "3", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]"})
  void shapesHavePositiveIntegerDimensions(String shape) {
    assertInvalid(() -> decode("[{'name':'input','shape':" + shape + ",'datatype':'FP32','data':[1]}]", DIGITS),
        MALFORMED, "invalid_input", "shape of input 'input'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"FLOAT", "fp32", ""})
  void datatypesMustBeOpenInferenceProtocolNames(String datatype) {
    assertInvalid(() -> decode("[{'name':'input','shape':[1,64],'datatype':'" + datatype + "','data':[1]}]", DIGITS),
        MALFORMED, "invalid_input", "not an Open Inference Protocol datatype");
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("FP32", "'0.5'", "must hold FP32 values"),
        Arguments.of("FP32", "null", "must hold FP32 values"),
        Arguments.of("FP32", "true", "must hold FP32 values"),
        Arguments.of("FP32", "1e39", "out of range for FP32"),
        Arguments.of("FP64", "1e400", "out of range for FP64"),
        Arguments.of("FP64", "{}", "must hold FP64 values"),
        Arguments.of("BOOL", "1", "must hold BOOL values"),
        Arguments.of("UINT8", "256", "out of range for UINT8"),
        Arguments.of("UINT8", "-1", "out of range for UINT8"),
        Arguments.of("INT8", "128", "out of range for INT8"),
        Arguments.of("INT16", "-32769", "out of range for INT16"),
        Arguments.of("INT32", "2147483648", "out of range for INT32"),
        Arguments.of("INT64", "9223372036854775808", "out of range for INT64"),
        Arguments.of("INT32", "1.5", "must hold INT32 values (integer)"),
        Arguments.of("INT64", "2.0", "must hold INT64 values (integer)"),
        Arguments.of("INT32", "false", "must hold INT32 values"));
  }

  @ParameterizedTest
  @MethodSource("badValues")
  void valuesMustBeNumbersInRange(String datatype, String value, String message) {
    List<TensorSpec> spec = List.of(new TensorSpec("x", datatype, List.of(-1L, 2L)));
    assertInvalid(() -> decode("[{'name':'x','shape':[1,2],'datatype':'" + datatype + "','data':[" + zero(datatype)
        + "," + value + "]}]", spec), MALFORMED, "invalid_input", "input 'x'", message, "element 1");
    // the same through nested data
    assertInvalid(() -> decode("[{'name':'x','shape':[1,2],'datatype':'" + datatype + "','data':[[" + zero(datatype)
        + "," + value + "]]}]", spec), MALFORMED, "invalid_input", message);
  }

  static String zero(String datatype) {
    return datatype.equals("BOOL") ? "false" : "0";
  }

  @Test
  void dataMustBeAnArrayShapedLikeTheShape() {
    assertInvalid(() -> decode("[{'name':'input','shape':[1,64],'datatype':'FP32','data':5}]", DIGITS),
        MALFORMED, "invalid_input", "data of input 'input' must be an array");
    List<TensorSpec> cube = List.of(new TensorSpec("c", "INT32", List.of(-1L, 2L, 2L)));
    assertInvalid(() -> decode("[{'name':'c','shape':[1,2,2],'datatype':'INT32','data':[[1,2,3,4]]}]", cube),
        MALFORMED, "data_length_mismatch", "has 4 entries at depth 1");
    assertInvalid(() -> decode("[{'name':'c','shape':[1,2,2],'datatype':'INT32','data':[[1,2],[3,4]]}]", cube),
        MALFORMED, "data_length_mismatch", "has 2 entries at depth 0");
    assertInvalid(() -> decode("[{'name':'c','shape':[1,2,2],'datatype':'INT32','data':[[[1,[2]],[3,4]]]}]", cube),
        MALFORMED, "invalid_input", "nested deeper than its shape");
    assertInvalid(() -> decode("[{'name':'c','shape':[1,2,2],'datatype':'INT32','data':[[[1,2],3]]}]", cube),
        MALFORMED, "invalid_input", "flat or nested exactly like its shape");
    assertInvalid(() -> decode("[{'name':'c','shape':[1,2,2],'datatype':'INT32','data':[1,2,[3],4]}]", cube),
        MALFORMED, "invalid_input", "mixes nested arrays and numbers");
    assertInvalid(() -> decode("[{'name':'input','shape':[1,64],'datatype':'FP32','data':[1,[2]" + ","
        + row(62, "0") + "]}]", DIGITS), MALFORMED, "invalid_input", "must hold FP32 values");
  }

  @Test
  void dataLengthMustMatchTheShape() {
    assertInvalid(() -> decode("[{'name':'input','shape':[1,64],'datatype':'FP32','data':[" + row(63, "0") + "]}]",
        DIGITS), MALFORMED, "data_length_mismatch", "input 'input' has 63 data elements", "needs 64");
    assertInvalid(() -> decode("[{'name':'input','shape':[1,64],'datatype':'FP32','data':[]}]", DIGITS),
        MALFORMED, "data_length_mismatch");
    assertInvalid(() -> decode("[{'name':'input','shape':[2,64],'datatype':'FP32','data':[[" + row(64, "0") + "]]}]",
        DIGITS), MALFORMED, "data_length_mismatch", "needs 2");
  }

  @Test
  void duplicateInputsAreMalformed() {
    String one = "{'name':'input','shape':[1,64],'datatype':'FP32','data':[" + row(64, "0") + "]}";
    assertInvalid(() -> decode("[" + one + "," + one + "]", DIGITS), MALFORMED, "invalid_input",
        "input 'input' appears more than once");
  }

  @Test
  void requestsLargerThanTheCapAreMalformed() {
    JsonNode inputs = json("[{'name':'input','shape':[2,64],'datatype':'FP32','data':[" + row(128, "0") + "]}]");
    assertThat(TensorCodec.decodeInputs(inputs, DIGITS, 128)).hasSize(1);
    assertInvalid(() -> TensorCodec.decodeInputs(inputs, DIGITS, 127), MALFORMED, "invalid_input",
        "more than 127 tensor elements");
    // the cap is over all inputs of the request
    JsonNode two = json("[{'name':'ids','shape':[1,3],'datatype':'INT64','data':[1,2,3]},"
        + "{'name':'mask','shape':[1,3],'datatype':'BOOL','data':[true,true,true]}]");
    assertThat(TensorCodec.decodeInputs(two, TWO, 6)).hasSize(2);
    assertInvalid(() -> TensorCodec.decodeInputs(two, TWO, 5), MALFORMED, "invalid_input");
    // a shape whose product overflows is refused before anything is allocated
    assertInvalid(() -> decode("[{'name':'input','shape':[9223372036854775807,64],'datatype':'FP32','data':[]}]",
        DIGITS), MALFORMED, "invalid_input", "tensor elements");
  }

  // --- UNPROCESSABLE ---

  @ParameterizedTest
  @ValueSource(strings = {"FP16", "BYTES", "UINT16", "UINT32", "UINT64"})
  void someDatatypesAreNotSupported(String datatype) {
    assertInvalid(() -> decode("[{'name':'input','shape':[1,1],'datatype':'" + datatype + "','data':[1]}]", DIGITS),
        UNPROCESSABLE, "unsupported_datatype", "input 'input'", datatype);
  }

  @Test
  void unknownInputsAreUnprocessable() {
    assertInvalid(() -> decode("[{'name':'pixels','shape':[1,64],'datatype':'FP32','data':[" + row(64, "0") + "]}]",
        DIGITS), UNPROCESSABLE, "unknown_input", "input 'pixels' is not an input", "[input]");
  }

  @Test
  void missingInputsAreUnprocessable() {
    assertInvalid(() -> decode("[{'name':'ids','shape':[1,3],'datatype':'INT64','data':[1,2,3]}]", TWO),
        UNPROCESSABLE, "missing_input", "input 'mask' is missing");
    assertInvalid(() -> decode("[]", DIGITS), UNPROCESSABLE, "missing_input", "input 'input'");
  }

  @Test
  void datatypesMustMatchTheModel() {
    assertInvalid(() -> decode("[{'name':'input','shape':[1,64],'datatype':'FP64','data':[" + row(64, "0") + "]}]",
        DIGITS), UNPROCESSABLE, "datatype_mismatch", "input 'input' has datatype FP64", "expects FP32");
  }

  @Test
  void shapesMustMatchTheModel() {
    assertInvalid(() -> decode("[{'name':'input','shape':[1,63],'datatype':'FP32','data':[" + row(63, "0") + "]}]",
        DIGITS), UNPROCESSABLE, "shape_mismatch", "input 'input' has shape [1, 63]", "expects [-1, 64]");
    assertInvalid(() -> decode("[{'name':'input','shape':[64],'datatype':'FP32','data':[" + row(64, "0") + "]}]",
        DIGITS), UNPROCESSABLE, "shape_mismatch", "has shape [64]");
    assertInvalid(() -> decode("[{'name':'input','shape':[1,64,1],'datatype':'FP32','data':[" + row(64, "0") + "]}]",
        DIGITS), UNPROCESSABLE, "shape_mismatch");
  }

  @Test
  void inputsMustShareTheirBatchSize() {
    assertInvalid(() -> decode("[{'name':'ids','shape':[2,3],'datatype':'INT64','data':[1,2,3,4,5,6]},"
        + "{'name':'mask','shape':[1,3],'datatype':'BOOL','data':[true,true,true]}]", TWO),
        UNPROCESSABLE, "shape_mismatch", "batch size", "'ids' has 2", "'mask' has 1");
  }

  static final List<TensorSpec> TWO_OUTPUTS = List.of(
      new TensorSpec("logits", "FP32", List.of(-1L, 10L)),
      new TensorSpec("label", "INT64", List.of(-1L)));

  @Test
  void anEmptyOutputsFilterIsABadRequestNotAnAnswerWithoutOutputs() {
    assertInvalid(() -> TensorCodec.selectOutputs(json("{'outputs':[]}"), TWO_OUTPUTS), MALFORMED, "invalid_input",
        "at least one output");
    assertInvalid(() -> TensorCodec.selectOutputs(json("{'outputs':[{'name':'probs'}]}"), TWO_OUTPUTS), MALFORMED,
        "unknown_output", "'probs'");
    assertInvalid(() -> TensorCodec.selectOutputs(json("{'outputs':{'name':'label'}}"), TWO_OUTPUTS), MALFORMED,
        "invalid_input");
    TensorCodec.OutputSelection all = TensorCodec.selectOutputs(json("{}"), TWO_OUTPUTS);
    assertThat(all.wants("logits")).isTrue();
    assertThat(all.wants("label")).isTrue();
    TensorCodec.OutputSelection one = TensorCodec.selectOutputs(json("{'outputs':[{'name':'label'}]}"), TWO_OUTPUTS);
    assertThat(one.wants("label")).isTrue();
    assertThat(one.wants("logits")).isFalse();
  }

  @Test
  void binaryOutputsAreChosenPerOutputThenByParametersThenAtTheTopLevel() {
    assertThat(TensorCodec.selectOutputs(json("{}"), TWO_OUTPUTS).binary("logits")).isFalse();
    // the form the README shows: binary_data_output at the top level of the request
    assertThat(TensorCodec.selectOutputs(json("{'binary_data_output':true}"), TWO_OUTPUTS).binary("logits")).isTrue();
    assertThat(TensorCodec.selectOutputs(json("{'parameters':{'binary_data_output':true}}"), TWO_OUTPUTS)
        .binary("logits")).isTrue();
    assertThat(TensorCodec.selectOutputs(json("{'binary_data_output':true,'parameters':{'binary_data_output':false}}"),
        TWO_OUTPUTS).binary("logits")).isFalse();
    TensorCodec.OutputSelection mixed = TensorCodec.selectOutputs(json("{'binary_data_output':true,"
        + "'outputs':[{'name':'logits'},{'name':'label','parameters':{'binary_data':false}}]}"), TWO_OUTPUTS);
    assertThat(mixed.binary("logits")).isTrue();
    assertThat(mixed.binary("label")).isFalse();
    assertInvalid(() -> TensorCodec.selectOutputs(json("{'binary_data_output':'yes'}"), TWO_OUTPUTS), MALFORMED,
        "invalid_input", "binary_data_output", "true or false");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{'binary_data_output':'yes','parameters':{'binary_data_output':true}}",
      "{'binary_data_output':1,'parameters':{'binary_data_output':false}}",
      "{'binary_data_output':true,'parameters':{'binary_data_output':'true'}}",
      "{'parameters':{'binary_data_output':[true]}}"})
  void aNonBooleanBinaryDataOutputIsRefusedWhereverItStands(String request) {
    assertInvalid(() -> TensorCodec.selectOutputs(json(request), TWO_OUTPUTS), MALFORMED, "invalid_input",
        "binary_data_output", "must be true or false");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{'id':7}", "{'id':true}", "{'id':{'a':1}}", "{'id':['x']}"})
  void aRequestIdMustBeAString(String request) {
    assertInvalid(() -> TensorCodec.requestId(json(request)), MALFORMED, "invalid_input", "id must be a string");
  }

  @Test
  void aStringRequestIdIsEchoedAndNoneIsNone() {
    assertThat(TensorCodec.requestId(json("{'id':'abc-1'}"))).isEqualTo("abc-1");
    assertThat(TensorCodec.requestId(json("{}"))).isNull();
    assertThat(TensorCodec.requestId(json("{'id':null}"))).isNull();
  }

  @Test
  void everyInputDatatypeAdmissionAcceptsIsDecoded() {
    assertThat(TensorCodec.SUPPORTED_DATATYPES).containsAll(ModelAdmission.INPUT_DATATYPES);
  }
}
