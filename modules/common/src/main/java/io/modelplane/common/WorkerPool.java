package io.modelplane.common;

import java.util.regex.Pattern;

/**
 * The name of a dedicated worker pool: workers started with it hold only the replicas of the
 * tenants assigned to it, and those tenants' replicas go nowhere else.
 */
public record WorkerPool(String name) {
  private static final Pattern RULE = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
  public static final String RULE_TEXT = "a worker pool name is 1-40 characters of lowercase letters, digits and '-'";

  public WorkerPool {
    if (!isValid(name)) {
      throw new IllegalArgumentException(RULE_TEXT);
    }
  }

  public static boolean isValid(String name) {
    return name != null && RULE.matcher(name).matches();
  }
}
