package io.modelplane.common;

/** Thrown when a string does not satisfy the rules of an identifier type. */
public final class InvalidIdException extends IllegalArgumentException {
  public InvalidIdException(String message) {
    super(message);
  }
}
