package io.modelplane.control.readside;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/** Runs read-table queries off the caller's thread, on the executor meant for blocking calls. */
final class Reads {
  /** A query over one connection. */
  interface Query<T> {
    T run(Connection c) throws SQLException;
  }

  /** Maps the current row. */
  interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private final ReadSideDatabase db;
  private final Executor executor;

  Reads(ReadSideDatabase db, Executor executor) {
    this.db = db;
    this.executor = executor;
  }

  <T> CompletionStage<T> read(Query<T> query) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = db.connection()) {
        try {
          return query.run(c);
        } finally {
          c.rollback(); // read only: ends the transaction before the connection goes back
        }
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, executor);
  }

  static <T> List<T> list(Connection c, String sql, RowMapper<T> mapper, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ReadTablesHandler.bind(ps, params);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(mapper.map(rs));
        }
        return rows;
      }
    }
  }

  /** The first {@code limit} of {@code rows} (read with one more than limit), and the cursor after them if more. */
  static <T> Page<T> page(List<T> rows, int limit, Function<T, String> sortKey) {
    if (rows.size() <= limit) {
      return new Page<>(rows, null);
    }
    List<T> items = rows.subList(0, limit);
    return new Page<>(items, PageRequest.cursor(sortKey.apply(items.get(limit - 1))));
  }
}
