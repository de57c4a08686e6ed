package io.modelplane.inference.runtime;

/** A model answered with outputs that differ from its manifest's (names, datatypes, shapes): the model's fault. */
public final class OutputMismatchException extends InferenceException {
  public OutputMismatchException(String message) {
    super(message, false);
  }
}
