package io.modelplane.common;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The limits a tenant sets apart from its plan's: {@code limits} names them (as {@link Quota}'s fields do), {@code
 * values} holds their values (null: unlimited); the values of limits not named mean nothing.
 */
public record QuotaOverrides(Quota values, List<String> limits) implements CborSerializable {
  /** Every limit's name, in {@link Quota}'s order. */
  public static final List<String> LIMITS =
      Arrays.stream(Quota.class.getRecordComponents()).map(RecordComponent::getName).toList();

  public QuotaOverrides {
    TreeSet<String> named = new TreeSet<>(limits == null ? List.of() : limits);
    if (!LIMITS.containsAll(named)) {
      throw new IllegalArgumentException("not limits of a quota: " + named);
    }
    limits = LIMITS.stream().filter(named::contains).toList();
    // one form for equal overrides: the values of limits not named are null
    values = merge(values == null ? Quota.unlimited() : values, Quota.unlimited(), limits);
  }

  public static QuotaOverrides none() {
    return new QuotaOverrides(Quota.unlimited(), List.of());
  }

  /** The limits of {@code quota} that differ from {@code base}, as overrides of it. */
  public static QuotaOverrides differences(Quota base, Quota quota) {
    List<String> differing = LIMITS.stream()
        .filter(limit -> !java.util.Objects.equals(value(base, limit), value(quota, limit))).toList();
    return new QuotaOverrides(quota, differing);
  }

  /** The overrides named in {@code limits}, with their values taken from {@code values}. */
  public static QuotaOverrides of(Quota values, Set<String> limits) {
    return new QuotaOverrides(values, List.copyOf(limits));
  }

  @JsonIgnore // not a property: the journal and the read tables keep values and limits only
  public boolean isEmpty() {
    return limits.isEmpty();
  }

  /** {@code base} with each overridden limit replaced: a tenant's effective quota on a plan with quota {@code base}. */
  public Quota over(Quota base) {
    return merge(values, base, limits);
  }

  /** {@code base} with the {@code named} limits taken from {@code values}. */
  private static Quota merge(Quota values, Quota base, List<String> named) {
    Object[] merged = new Object[LIMITS.size()];
    for (int i = 0; i < merged.length; i++) {
      String limit = LIMITS.get(i);
      merged[i] = named.contains(limit) ? value(values, limit) : value(base, limit);
    }
    return new Quota((Double) merged[0], (Integer) merged[1], (Integer) merged[2], (Integer) merged[3],
        (Integer) merged[4], (Long) merged[5], (Long) merged[6]);
  }

  /** These overrides, then {@code newer}'s on top (a limit both name takes {@code newer}'s value). */
  public QuotaOverrides and(QuotaOverrides newer) {
    TreeSet<String> named = new TreeSet<>(limits);
    named.addAll(newer.limits());
    return new QuotaOverrides(newer.over(values), List.copyOf(named));
  }

  /** The overridden limits by name, in {@link Quota}'s order (a null value: unlimited). */
  public Map<String, Object> asMap() {
    Map<String, Object> named = new LinkedHashMap<>();
    limits.forEach(limit -> named.put(limit, value(values, limit)));
    return named;
  }

  private static Object value(Quota quota, String limit) {
    try {
      return Quota.class.getMethod(limit).invoke(quota);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
