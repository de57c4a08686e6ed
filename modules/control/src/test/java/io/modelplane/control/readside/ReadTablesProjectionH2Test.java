package io.modelplane.control.readside;

/** The read-tables projection on an H2 journal (the embedded default). */
class ReadTablesProjectionH2Test extends ReadTablesProjectionContract {
  @Override
  ReadSideFixture openFixture() throws Exception {
    return new ReadSideFixture("jdbc:h2:mem:readside-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "", false);
  }
}
