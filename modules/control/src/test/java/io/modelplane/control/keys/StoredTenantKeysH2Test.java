package io.modelplane.control.keys;

class StoredTenantKeysH2Test extends StoredTenantKeysContract {
  @Override
  String jdbcUrl() {
    return "jdbc:h2:mem:keys-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
  }

  @Override
  String user() {
    return "sa";
  }

  @Override
  String password() {
    return "";
  }
}
