package io.modelplane.inference.runtime;

/** A model does not fit a device's budget, even after evicting every idle resident model. */
public final class InsufficientMemoryException extends InferenceException {

  public InsufficientMemoryException(String message) {
    super(message);
  }
}
