package io.modelplane.inference.runtime;

import java.util.Objects;

/** Request tensors the model cannot take; {@link #kind()} decides 400 or 422, {@link #code()} is the error code. */
public final class InvalidInputException extends InferenceException {

  /** Whether the request is broken as such (400) or only wrong for this model (422). */
  public enum Kind {
    /** 400: not a well-formed Open Inference Protocol request. */
    MALFORMED,
    /** 422: well-formed, but not what this model takes. */
    UNPROCESSABLE
  }

  public static final String INVALID_INPUT = "invalid_input";
  public static final String DATA_LENGTH_MISMATCH = "data_length_mismatch";
  public static final String UNKNOWN_INPUT = "unknown_input";
  public static final String MISSING_INPUT = "missing_input";
  /** The request's output filter names an output the model does not have. */
  public static final String UNKNOWN_OUTPUT = "unknown_output";
  public static final String DATATYPE_MISMATCH = "datatype_mismatch";
  public static final String SHAPE_MISMATCH = "shape_mismatch";
  public static final String UNSUPPORTED_DATATYPE = "unsupported_datatype";
  /** The binary part of a request (binary tensor data extension) has bytes left over or too few. */
  public static final String INVALID_BINARY_DATA = "invalid_binary_data";

  private final Kind kind;
  private final String code;

  public InvalidInputException(Kind kind, String code, String message) {
    // a client mistake, common and cheap to explain: no stack trace
    super(message, false);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.code = Objects.requireNonNull(code, "code");
  }

  public static InvalidInputException malformed(String code, String message) {
    return new InvalidInputException(Kind.MALFORMED, code, message);
  }

  public static InvalidInputException unprocessable(String code, String message) {
    return new InvalidInputException(Kind.UNPROCESSABLE, code, message);
  }

  public Kind kind() {
    return kind;
  }

  public String code() {
    return code;
  }
}
