package io.modelplane.inference.runtime;

/** A model artifact could not be loaded: missing or corrupt file, unsupported format, engine failure. */
public final class ModelLoadException extends InferenceException {

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
