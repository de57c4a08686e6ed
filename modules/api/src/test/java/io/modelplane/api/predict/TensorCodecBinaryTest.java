package io.modelplane.api.predict;

import static io.modelplane.inference.runtime.InvalidInputException.Kind.MALFORMED;
import static io.modelplane.inference.runtime.InvalidInputException.Kind.UNPROCESSABLE;
import static io.modelplane.api.predict.TensorCodecTest.DIGITS;
import static io.modelplane.api.predict.TensorCodecTest.JSON;
import static io.modelplane.api.predict.TensorCodecTest.TWO;
import static io.modelplane.api.predict.TensorCodecTest.assertInvalid;
import static io.modelplane.api.predict.TensorCodecTest.decode;
import static io.modelplane.api.predict.TensorCodecTest.json;
import static io.modelplane.api.predict.TensorCodecTest.row;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.Tensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The binary tensor data extension in {@link TensorCodec}: inputs from raw bytes, outputs as raw bytes. */
class TensorCodecBinaryTest {

  static List<Tensor> decodeBinary(String inputs, List<TensorSpec> specs, byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return TensorCodec.decodeInputs(json(inputs), specs, TensorCodec.DEFAULT_MAX_ELEMENTS,
        ByteBuffer.wrap(out.toByteArray()));
  }

  static String binaryInput(String name, String datatype, String shape, long size) {
    return "{'name':'" + name + "','shape':" + shape + ",'datatype':'" + datatype
        + "','parameters':{'binary_data_size':" + size + "}}";
  }

  @ParameterizedTest
  @MethodSource("io.modelplane.api.predict.TensorCodecTest#roundTrips")
  void eachDatatypeDecodesFromBinaryExactlyAsFromJson(String datatype, String data) throws Exception {
    List<TensorSpec> spec = List.of(new TensorSpec("x", datatype, List.of(-1L, 2L)));
    Tensor fromJson = decode("[{'name':'x','shape':[2,2],'datatype':'" + datatype + "','data':" + data + "}]", spec)
        .get(0);
    Tensor fromBinary = decodeBinary("[" + binaryInput("x", datatype, "[2,2]", fromJson.data().length) + "]", spec,
        fromJson.data()).get(0);
    assertThat(fromBinary).isEqualTo(fromJson);
    // and back out: the binary output's bytes are the tensor's, its JSON names their size
    ObjectNode out = TensorCodec.encodeBinaryOutput(fromBinary);
    assertThat(JSON.writeValueAsString(out)).isEqualTo("{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"" + datatype
        + "\",\"parameters\":{\"binary_data_size\":" + fromJson.data().length + "}}");
    assertThat(out.has("data")).isFalse();
  }

  @Test
  void binaryAndJsonInputsMixAndTakeTheBytesInTheOrderTheyAppear() {
    byte[] mask = {1, 0, 1, 0, 0, 1};
    Tensor ids = decode("[{'name':'ids','shape':[2,3],'datatype':'INT64','data':[1,2,3,4,5,6]},"
        + "{'name':'mask','shape':[2,3],'datatype':'BOOL','data':[true,true,true,true,true,true]}]", TWO).get(0);
    // mask first in the request: its bytes come first in the binary part, whatever the spec order
    List<Tensor> both = decodeBinary("[" + binaryInput("mask", "BOOL", "[2,3]", 6) + ","
        + binaryInput("ids", "INT64", "[2,3]", 48) + "]", TWO, mask, ids.data());
    assertThat(both.get(0)).isEqualTo(ids);
    assertThat(both.get(1).data()).containsExactly(mask);
    List<Tensor> mixed = decodeBinary("[{'name':'ids','shape':[2,3],'datatype':'INT64','data':[1,2,3,4,5,6]},"
        + binaryInput("mask", "BOOL", "[2,3]", 6) + "]", TWO, mask);
    assertThat(mixed.get(0)).isEqualTo(ids);
    assertThat(mixed.get(1).data()).containsExactly(mask);
  }

  @Test
  void anEmptyBinaryPartIsFineForJsonInputs() {
    List<Tensor> tensors = decodeBinary("[{'name':'input','shape':[1,64],'datatype':'FP32','data':[" + row(64, "0.5")
        + "]}]", DIGITS);
    assertThat(TestTensors.floats(tensors.get(0))[63]).isEqualTo(0.5f);
  }

  @Test
  void theSizeMustMatchShapeAndDatatype() {
    assertInvalid(() -> decodeBinary("[" + binaryInput("input", "FP32", "[1,64]", 64) + "]", DIGITS, new byte[64]),
        MALFORMED, "data_length_mismatch", "input 'input' has binary_data_size 64", "needs 256 bytes");
    assertInvalid(() -> decodeBinary("[" + binaryInput("input", "FP32", "[1,64]", 260) + "]", DIGITS, new byte[260]),
        MALFORMED, "data_length_mismatch");
  }

  @Test
  void bytesLeftOverOrMissingAreInvalid() {
    assertInvalid(() -> decodeBinary("[" + binaryInput("input", "FP32", "[1,64]", 256) + "]", DIGITS, new byte[257]),
        MALFORMED, "invalid_binary_data", "1 bytes more");
    assertInvalid(() -> decodeBinary("[" + binaryInput("input", "FP32", "[1,64]", 256) + "]", DIGITS, new byte[255]),
        MALFORMED, "invalid_binary_data", "needs 256 bytes", "only 255");
    // bytes but no binary input at all
    assertInvalid(() -> decodeBinary("[{'name':'input','shape':[1,64],'datatype':'FP32','data':[" + row(64, "0")
        + "]}]", DIGITS, new byte[4]), MALFORMED, "invalid_binary_data");
    // a binary input in a request without a binary part
    assertInvalid(() -> decode("[" + binaryInput("input", "FP32", "[1,64]", 256) + "]", DIGITS),
        MALFORMED, "invalid_binary_data", "no binary part");
  }

  @Test
  void dataAndBinaryDataSizeTogetherAreMalformed() {
    assertInvalid(() -> decodeBinary("[{'name':'input','shape':[1,64],'datatype':'FP32','data':[" + row(64, "0")
        + "],'parameters':{'binary_data_size':256}}]", DIGITS, new byte[256]),
        MALFORMED, "invalid_input", "both data and parameters.binary_data_size");
  }

  @Test
  void binaryDataSizeMustBeANonNegativeInteger() {
    for (String size : List.of("-1", "1.5", "'256'", "true")) {
      assertInvalid(() -> decodeBinary("[{'name':'input','shape':[1,64],'datatype':'FP32','parameters':"
          + "{'binary_data_size':" + size + "}}]", DIGITS, new byte[256]), MALFORMED, "invalid_input",
          "binary_data_size");
    }
    // parameters that are no object are ignored as they always were: then the data is missing
    assertInvalid(() -> decodeBinary("[{'name':'input','shape':[1,64],'datatype':'FP32','parameters':3}]", DIGITS,
        new byte[256]), MALFORMED, "invalid_input", "data is missing");
    // parameters without binary_data_size still need data
    assertInvalid(() -> decodeBinary("[{'name':'input','shape':[1,64],'datatype':'FP32','parameters':{}}]", DIGITS),
        MALFORMED, "invalid_input", "data is missing");
  }

  @Test
  void boolBytesMustBeZeroOrOne() {
    assertInvalid(() -> decodeBinary("[{'name':'ids','shape':[1,3],'datatype':'INT64','data':[1,2,3]},"
        + binaryInput("mask", "BOOL", "[1,3]", 3) + "]", TWO, new byte[] {0, 2, 1}),
        MALFORMED, "invalid_input", "BOOL input 'mask'", "element 1 is 2");
  }

  @Test
  void wrongDatatypesAndShapesAreStillUnprocessable() {
    assertInvalid(() -> decodeBinary("[" + binaryInput("input", "FP64", "[1,64]", 512) + "]", DIGITS, new byte[512]),
        UNPROCESSABLE, "datatype_mismatch");
    assertInvalid(() -> decodeBinary("[" + binaryInput("input", "FP32", "[1,63]", 252) + "]", DIGITS, new byte[252]),
        UNPROCESSABLE, "shape_mismatch");
    assertInvalid(() -> decodeBinary("[" + binaryInput("input", "BYTES", "[1,64]", 64) + "]", DIGITS, new byte[64]),
        UNPROCESSABLE, "unsupported_datatype");
  }

  @Test
  void theElementCapCountsBinaryInputs() {
    JsonNode inputs = json("[" + binaryInput("input", "FP32", "[2,64]", 512) + "]");
    assertThat(TensorCodec.decodeInputs(inputs, DIGITS, 128, ByteBuffer.wrap(new byte[512]))).hasSize(1);
    assertInvalid(() -> TensorCodec.decodeInputs(inputs, DIGITS, 127, ByteBuffer.wrap(new byte[512])),
        MALFORMED, "invalid_input", "more than 127 tensor elements");
  }
}
