package io.modelplane.inference.runtime;

/** Base of the runtime's one exception hierarchy; the edge maps each subtype to one answer. */
public class InferenceException extends RuntimeException {

  public InferenceException(String message) {
    super(message);
  }

  public InferenceException(String message, Throwable cause) {
    super(message, cause);
  }

  /** For expected, frequent refusals (overload, bad input) whose stack trace says nothing. */
  protected InferenceException(String message, boolean writableStackTrace) {
    super(message, null, false, writableStackTrace);
  }
}
