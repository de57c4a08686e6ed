package io.modelplane.inference.runtime;

/** Inference was asked of a model version that is not (or no longer) loaded here; another replica may serve it. */
public final class ModelNotResidentException extends InferenceException {

  public ModelNotResidentException(String message) {
    super(message);
  }
}
