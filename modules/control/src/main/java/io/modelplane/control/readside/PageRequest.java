package io.modelplane.control.readside;

import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Predicate;

/**
 * One page of a list, keyset paged: at most {@code limit} rows after the row the cursor {@code after}
 * names (null: from the start). A cursor is opaque to clients: the base64url of the last row's sort key.
 */
public record PageRequest(int limit, String after) {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 500;

  /** From the query parameters as given (either null when absent); bad values are refused (400). */
  public static PageRequest parse(String limit, String after) {
    int n = DEFAULT_LIMIT;
    if (limit != null) {
      try {
        n = Integer.parseInt(limit.trim());
      } catch (NumberFormatException e) {
        n = -1;
      }
      if (n < 1 || n > MAX_LIMIT) {
        throw new Rejected(Rejection.invalid("invalid_limit", "limit must be a whole number from 1 to " + MAX_LIMIT));
      }
    }
    if (after != null && after.isEmpty()) {
      throw invalidCursor();
    }
    return new PageRequest(n, after);
  }

  public static PageRequest first(int limit) {
    return new PageRequest(limit, null);
  }

  /** The cursor naming a row by its sort key. */
  static String cursor(String sortKey) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(sortKey.getBytes(StandardCharsets.UTF_8));
  }

  /** The sort key {@code after} names; null when there is no cursor; refused unless {@code valid}. */
  String afterKey(Predicate<String> valid) {
    if (after == null) {
      return null;
    }
    String key;
    try {
      key = new String(Base64.getUrlDecoder().decode(after), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalidCursor();
    }
    if (!valid.test(key)) {
      throw invalidCursor();
    }
    return key;
  }

  private static Rejected invalidCursor() {
    return new Rejected(Rejection.invalid("invalid_cursor",
        "after must be the next cursor of a previous page of the same list"));
  }
}
