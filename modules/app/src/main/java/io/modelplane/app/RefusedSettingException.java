package io.modelplane.app;

/** A setting the node refuses to start with; its message alone (no stack trace) tells the operator what to change. */
final class RefusedSettingException extends IllegalStateException {
  RefusedSettingException(String message) {
    super(message);
  }
}
