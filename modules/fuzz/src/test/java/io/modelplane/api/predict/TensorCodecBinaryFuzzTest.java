package io.modelplane.api.predict;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InvalidInputException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Coverage-guided fuzzing of the binary tensor data extension's decoder: a JSON part whose inputs take
 * {@code binary_data_size} bytes each from the raw part after it. Same property as
 * {@link TensorCodecJsonFuzzTest}; the committed inputs under {@code TensorCodecBinaryFuzzTestInputs/} run
 * as regression tests without {@code JAZZER_FUZZ}.
 */
class TensorCodecBinaryFuzzTest {

  @FuzzTest(maxDuration = TensorCodecJsonFuzzTest.BUDGET)
  void binaryInputs(FuzzedDataProvider data) {
    List<TensorSpec> specs = TensorCodecJsonFuzzTest.SIGNATURES.get(data.consumeInt(0, TensorCodecJsonFuzzTest.SIGNATURES.size() - 1));
    int jsonLength = data.consumeInt(0, 4096);
    byte[] json = data.consumeBytes(jsonLength);
    byte[] binary = data.consumeRemainingAsBytes();
    JsonNode inputs = TensorCodecJsonFuzzTest.parse(json);
    if (inputs == null) {
      return;
    }
    TensorCodecJsonFuzzTest.decode(inputs, specs, ByteBuffer.wrap(binary), json.length + binary.length);
  }
}
