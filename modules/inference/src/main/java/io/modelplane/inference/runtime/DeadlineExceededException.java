package io.modelplane.inference.runtime;

/** A request's deadline passed before its forward pass began: it was dropped unrun. */
public final class DeadlineExceededException extends InferenceException {
  public DeadlineExceededException(String message) {
    super(message, false);
  }
}
