package io.modelplane.common;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A domain refusal thrown through futures: the control plane's services throw it, and only the HTTP
 * edge turns its {@link Rejection} into a status and an error body.
 */
public final class Rejected extends RuntimeException {
  private final transient Rejection rejection;
  private final Integer retryAfterSeconds;

  public Rejected(Rejection rejection) {
    this(rejection, null);
  }

  /** {@code retryAfterSeconds}: when the caller may try again (null: no hint). */
  public Rejected(Rejection rejection, Integer retryAfterSeconds) {
    super(rejection.message(), null, false, false); // an answer, not a fault: no stack trace
    this.rejection = rejection;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public Rejection rejection() {
    return rejection;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The failure inside a future's wrapping ({@link CompletionException}, {@link ExecutionException}). */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
