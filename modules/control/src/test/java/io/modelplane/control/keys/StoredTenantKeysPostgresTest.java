package io.modelplane.control.keys;

import io.modelplane.control.TestPostgres;
import org.junit.jupiter.api.extension.RegisterExtension;

class StoredTenantKeysPostgresTest extends StoredTenantKeysContract {
  @RegisterExtension
  static final TestPostgres pg = new TestPostgres();

  @Override
  String jdbcUrl() throws Exception {
    return pg.newDatabase("keys");
  }

  @Override
  String user() {
    return TestPostgres.USER;
  }

  @Override
  String password() {
    return TestPostgres.PASSWORD;
  }
}
