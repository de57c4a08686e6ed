package io.modelplane.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.regex.Pattern;

/** A tenant's id: lowercase letters, digits and '-', 3–40 characters (API.md). */
public record TenantId(String value) {
  private static final Pattern RULE = Pattern.compile("[a-z0-9-]{3,40}");

  public TenantId {
    if (!isValid(value)) {
      throw new InvalidIdException(
          "tenant id must be 3-40 characters of lowercase letters, digits and '-'");
    }
  }

  @JsonCreator
  public static TenantId of(String value) {
    return new TenantId(value);
  }

  public static boolean isValid(String value) {
    return value != null && RULE.matcher(value).matches();
  }

  @JsonValue
  @Override
  public String value() {
    return value;
  }

  @Override
  public String toString() {
    return value;
  }
}
