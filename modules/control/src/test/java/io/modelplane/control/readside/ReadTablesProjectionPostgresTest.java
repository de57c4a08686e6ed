package io.modelplane.control.readside;

import io.modelplane.control.TestPostgres;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The read-tables projection on a real PostgreSQL journal (production's database); a fresh database per test. */
class ReadTablesProjectionPostgresTest extends ReadTablesProjectionContract {
  @RegisterExtension
  static final TestPostgres pg = new TestPostgres();

  @Override
  ReadSideFixture openFixture() throws Exception {
    return new ReadSideFixture(pg.newDatabase("readside"), TestPostgres.USER, TestPostgres.PASSWORD, true);
  }
}
