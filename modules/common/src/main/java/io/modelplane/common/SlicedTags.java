package io.modelplane.common;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Splits one entity type's events over a fixed number of tags, so that each tag can be projected by
 * a different node. The slice of an entity never changes: {@code count} is part of the journal's
 * format (changing it means re-tagging the journal).
 */
public record SlicedTags(String prefix, int count) {
  /**
   * The tenant and model entities' events, sliced by tenant: a tenant's own events and its models'
   * events share one tag, so a projection sees them in the order they were written.
   */
  public static final SlicedTags CONTROL_PLANE = new SlicedTags("control", 4);

  public SlicedTags {
    if (count < 1) {
      throw new IllegalArgumentException("at least one slice");
    }
  }

  /** The tag of every event of the entity with this id. */
  public String tagFor(String entityId) {
    return prefix + "-" + Math.floorMod(entityId.hashCode(), count);
  }

  /** All tags, in slice order: one projection instance per tag. */
  public List<String> all() {
    return IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).toList();
  }
}
