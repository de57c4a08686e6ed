package io.modelplane.registry.crypto;

/**
 * The platform's key-encryption keys (KEKs), shaped like a KMS: data keys are sent to it to be
 * wrapped or unwrapped, the KEK bytes never leave it. {@link LocalKeySource} (a key file or an
 * environment secret) is the one shipped; a cloud KMS can implement the same three calls.
 * Every failure is a {@link KeyUnavailableException} naming the KEK id, never key bytes.
 */
public interface KeySource {

  /** The KEK that new and re-wrapped data keys are wrapped under. */
  String activeKekId();

  /** {@code dataKey} encrypted under KEK {@code kekId}, bound to {@code associatedData} (the tenant id). */
  byte[] wrap(String kekId, byte[] dataKey, byte[] associatedData);

  /** The data key from {@link #wrap}'s output; fails when the KEK is unknown, wrong or the AAD differs. */
  byte[] unwrap(String kekId, byte[] wrapped, byte[] associatedData);
}
