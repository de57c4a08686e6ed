package io.modelplane.registry;

import java.util.HashMap;
import java.util.Map;

/**
 * The uploads of each address between store and registration, so that one upload's refusal never
 * deletes bytes that an overlapping upload of the same bytes is registering. Not thread-safe: a
 * store calls it under the lock that guards its addresses.
 */
public final class PendingUploads {
  private final Map<String, Entry> bySha256 = new HashMap<>();

  private static final class Entry {
    int holders;
    boolean kept;
    String createdBy;
  }

  /** An upload stored {@code sha256}; {@code createdBy} names it when it created the address (else null). */
  public void stored(String sha256, String createdBy) {
    Entry entry = bySha256.computeIfAbsent(sha256, k -> new Entry());
    entry.holders++;
    if (createdBy != null) {
      entry.createdBy = createdBy;
    }
  }

  /**
   * An upload of {@code sha256} ends, its version {@code registered} or refused. Returns who created
   * the address when it should go now: this upload created it, none of the overlapping uploads kept
   * it and no other is under way; else null.
   */
  public String released(String sha256, boolean registered, boolean newlyCreated) {
    Entry entry = bySha256.get(sha256);
    if (entry == null) {
      return null;
    }
    entry.kept |= registered;
    if (--entry.holders > 0) {
      return null;
    }
    bySha256.remove(sha256);
    return !entry.kept && newlyCreated ? entry.createdBy : null;
  }

}
