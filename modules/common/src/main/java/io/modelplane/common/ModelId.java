package io.modelplane.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.regex.Pattern;

/** A model's name within its tenant: starts with a letter or digit, then letters, digits, '-', '_' or '.'; 1–63 characters. */
public record ModelId(String value) {
  private static final Pattern RULE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  public ModelId {
    if (!isValid(value)) {
      throw new InvalidIdException(
          "model name must be 1-63 characters of lowercase letters, digits, '-', '_' or '.', starting with a letter or digit");
    }
  }

  @JsonCreator
  public static ModelId of(String value) {
    return new ModelId(value);
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
