package io.modelplane.registry;

import akka.stream.IOOperationIncompleteException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What every artifact store shares: the form of an address (SHA-256) and how an upload's failure is told. */
public final class Addresses {
  private Addresses() {}

  /** Whether {@code value} is a SHA-256 in lowercase hex, the form of every address (no separators, no "..") */
  public static boolean isSha256(String value) {
    return value != null && value.length() == 64 && value.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f');
  }

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The error that failed an upload, without the wrappers of futures and of FileIO. */
  public static Throwable originalCause(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException
        || t instanceof IOOperationIncompleteException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
