package io.modelplane.control.readside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.common.Quota;
import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The read side's queries over tables written by the projection's handler: keyset paging, filters, bad input. */
class ReadSideQueriesTest {
  static final Instant T0 = Instant.parse("2026-11-01T10:00:00Z");

  ReadSideDatabase db;
  ReadSide readSide;
  java.util.concurrent.ExecutorService executor = Executors.newFixedThreadPool(2);
  final Map<String, Long> sequenceNrs = new HashMap<>();

  @BeforeEach
  void open() throws Exception {
    db = ReadSideDatabase.open("jdbc:h2:mem:queries-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "", 4, null);
    ReadTables.create(db);
    readSide = ReadSide.over(db, executor);
  }

  @AfterEach
  void close() {
    db.close();
    executor.shutdownNow();
  }

  /** Applies {@code event} as the next event of {@code persistenceId}, as the projection would. */
  void apply(String persistenceId, Object event) throws Exception {
    long seq = sequenceNrs.merge(persistenceId, 1L, Long::sum);
    try (Connection c = db.connection()) {
      ReadTablesHandler.apply(c, persistenceId, seq, event);
      c.commit();
    }
  }

  void tenant(String id, Instant at) throws Exception {
    apply("Tenant|" + id, new TenantEntity.TenantCreated(id, "T " + id, Quota.defaults(), at, "op"));
  }

  void model(String tenant, String model, Instant at) throws Exception {
    apply("Tenant|" + tenant, new TenantEntity.ModelAdded(model, at, "dev@" + tenant));
    List<TensorSpec> io = List.of(new TensorSpec("x", "FP32", List.of(1L)));
    apply("Model|" + tenant + "/" + model, new ModelEntity.VersionRegistered(1, "f".repeat(64), 10, "torchscript",
        io, io, null, at, "dev@" + tenant));
  }

  static <T> T join(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Every page from the first, following next. */
  static <T> List<List<T>> allPages(int limit, Function<PageRequest, CompletionStage<Page<T>>> query) throws Exception {
    List<List<T>> pages = new ArrayList<>();
    String after = null;
    do {
      Page<T> page = join(query.apply(new PageRequest(limit, after)));
      pages.add(page.items());
      after = page.next();
    } while (after != null && pages.size() < 100);
    return pages;
  }

  @Test
  void tenTenantsInATenThousandAreFoundByPlanStatusAndTextWithoutReadingTheRest() throws Exception {
    // 10,000 tenants as the projection writes them, in one transaction (each event through the handler)
    try (Connection c = db.connection()) {
      for (int i = 0; i < 10_000; i++) {
        String id = String.format("tenant-%05d", i);
        boolean gold = i % 1000 == 7;
        ReadTablesHandler.apply(c, "Tenant|" + id, 1, new TenantEntity.TenantCreated(id, "Company " + i,
            Quota.defaults(), T0, "op", gold ? "gold" : "default", io.modelplane.common.QuotaOverrides.none()));
        if (gold && i % 2000 == 7) {
          ReadTablesHandler.apply(c, "Tenant|" + id, 2, new TenantEntity.TenantSuspended(T0, "op"));
        }
      }
      c.commit();
    }
    TenantDirectory tenants = readSide.tenants();
    join(tenants.page(new TenantDirectory.Filter("gold", null, null), PageRequest.first(100))); // warm up

    long start = System.nanoTime();
    List<TenantDirectory.TenantRow> gold = join(tenants.page(new TenantDirectory.Filter("gold", null, null),
        PageRequest.first(100))).items();
    List<TenantDirectory.TenantRow> suspended = join(tenants.page(
        new TenantDirectory.Filter("gold", TenantEntity.Status.SUSPENDED, null), PageRequest.first(100))).items();
    List<TenantDirectory.TenantRow> text = join(tenants.page(new TenantDirectory.Filter(null, null, "company 9999"),
        PageRequest.first(100))).items();
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(gold).hasSize(10).allSatisfy(t -> assertThat(t.plan()).isEqualTo("gold"));
    assertThat(suspended).extracting(TenantDirectory.TenantRow::id)
        .containsExactly("tenant-00007", "tenant-02007", "tenant-04007", "tenant-06007", "tenant-08007");
    assertThat(text).extracting(TenantDirectory.TenantRow::id).containsExactly("tenant-09999");
    assertThat(join(readSide.plans().tenantsOn("gold"))).isEqualTo(10);
    System.out.printf("three filtered pages of 10,000 tenants: %d ms%n", millis);
    // the plan and status filters go through an index (tenants_plan), not through every row
    try (Connection c = db.connection(); var st = c.createStatement();
        var rs = st.executeQuery("EXPLAIN SELECT t.id FROM tenants t WHERE t.plan = 'gold' AND t.id > '' ORDER BY t.id")) {
      rs.next();
      assertThat(rs.getString(1)).containsIgnoringCase("TENANTS_PLAN");
      c.rollback();
    }
    assertThat(millis).as("filtered pages of 10,000 tenants answer fast").isLessThan(2_000);
  }

  @Test
  void tenantsArePagedByIdAndTheLastPageHasNoNext() throws Exception {
    for (String id : List.of("ttt-5", "ttt-1", "ttt-7", "ttt-3", "ttt-2", "ttt-6", "ttt-4")) {
      tenant(id, T0);
    }
    List<List<TenantDirectory.TenantRow>> pages = allPages(3, readSide.tenants()::page);
    assertThat(pages).hasSize(3);
    assertThat(pages.stream().map(p -> p.stream().map(TenantDirectory.TenantRow::id).toList()).toList())
        .containsExactly(List.of("ttt-1", "ttt-2", "ttt-3"), List.of("ttt-4", "ttt-5", "ttt-6"), List.of("ttt-7"));
    // exactly a page full: no further (empty) page is announced
    assertThat(join(readSide.tenants().page(new PageRequest(7, null))).next()).isNull();
    assertThat(join(readSide.tenants().page(new PageRequest(6, null))).next()).isNotNull();
  }

  @Test
  void aCursorStaysValidWhileRowsAreAdded() throws Exception {
    for (String id : List.of("bbb", "ccc", "ddd", "eee")) {
      tenant(id, T0);
    }
    Page<TenantDirectory.TenantRow> first = join(readSide.tenants().page(new PageRequest(2, null)));
    assertThat(first.items()).extracting(TenantDirectory.TenantRow::id).containsExactly("bbb", "ccc");
    tenant("aaa", T0); // before the cursor: not seen again, nothing repeated
    tenant("ccd", T0); // after it: seen
    Page<TenantDirectory.TenantRow> second = join(readSide.tenants().page(new PageRequest(10, first.next())));
    assertThat(second.items()).extracting(TenantDirectory.TenantRow::id).containsExactly("ccd", "ddd", "eee");
    assertThat(second.next()).isNull();
  }

  @Test
  void modelsArePagedByNameWithinTheirTenantAndReservedNamesAreNoModels() throws Exception {
    tenant("acme", T0);
    tenant("other", T0);
    for (String m : List.of("m3", "m1", "m2")) {
      model("acme", m, T0);
    }
    model("other", "m0", T0);
    apply("Tenant|acme", new TenantEntity.ModelAdded("reserved", T0, "dev"));
    List<List<ModelDirectory.ModelRow>> pages = allPages(2, r -> readSide.models().page(TenantId.of("acme"), r));
    assertThat(pages.stream().map(p -> p.stream().map(ModelDirectory.ModelRow::model).toList()).toList())
        .containsExactly(List.of("m1", "m2"), List.of("m3"));
    assertThat(join(readSide.models().vacant(TenantId.of("acme")))).extracting(ModelDirectory.ModelRow::model)
        .containsExactly("reserved");
    assertThat(join(readSide.models().vacant(TenantId.of("acme"))).get(0).reservation()).isEqualTo(4);
    // the tenant's own view lists every name it holds
    assertThat(join(readSide.tenants().page(new PageRequest(1, null))).items().get(0).models())
        .containsExactly("m1", "m2", "m3", "reserved");
  }

  @Test
  void theAuditLogIsFilteredAndPagedOldestFirst() throws Exception {
    tenant("acme", T0);
    tenant("globex", T0.plusSeconds(10));
    model("acme", "digits", T0.plusSeconds(20));
    apply("Tenant|globex", new TenantEntity.TenantSuspended(T0.plusSeconds(30), "op"));
    apply("Tenant|acme", new TenantEntity.ApiKeysUsed(Map.of())); // not a change: no entry
    apply("Model|acme/digits", new ModelEntity.ReservationReleased(9, T0.plusSeconds(40), "x")); // bookkeeping: none

    List<AuditLog.AuditEntry> all = join(readSide.audit().page(AuditLog.Filter.ALL, PageRequest.first(100))).items();
    assertThat(all).extracting(AuditLog.AuditEntry::type)
        .containsExactly("tenant_created", "tenant_created", "model_added", "version_registered", "tenant_suspended");
    assertThat(all).extracting(AuditLog.AuditEntry::seqId).isSorted();
    assertThat(all.get(3).model()).isEqualTo("digits");
    assertThat(all.get(0).model()).isNull();
    assertThat(all.get(3).summary()).containsEntry("version", 1).containsEntry("format", "torchscript");

    assertThat(types(AuditLog.Filter.parse("acme", null, null, null, null, null)))
        .containsExactly("tenant_created", "model_added", "version_registered");
    assertThat(types(AuditLog.Filter.parse(null, "digits", null, null, null, null)))
        .containsExactly("model_added", "version_registered");
    assertThat(types(AuditLog.Filter.parse(null, null, "op", null, null, null)))
        .containsExactly("tenant_created", "tenant_created", "tenant_suspended");
    assertThat(types(AuditLog.Filter.parse(null, null, null, "tenant_suspended", null, null)))
        .containsExactly("tenant_suspended");
    // from inclusive, to exclusive
    assertThat(types(AuditLog.Filter.parse(null, null, null, null, "2026-11-01T10:00:10Z", "2026-11-01T10:00:30Z")))
        .containsExactly("tenant_created", "model_added", "version_registered");
    assertThat(types(AuditLog.Filter.parse(null, null, null, null, "2026-11-01T11:00:20+01:00", null)))
        .containsExactly("model_added", "version_registered", "tenant_suspended");
    assertThat(types(AuditLog.Filter.parse("nobody", null, null, null, null, null))).isEmpty();
    // bounds past what the table's nanoseconds can hold saturate
    assertThat(types(AuditLog.Filter.parse(null, null, null, null, "2999-01-01T00:00:00Z", null))).isEmpty();
    assertThat(types(AuditLog.Filter.parse(null, null, null, null, "1000-01-01T00:00:00Z", "3000-01-01T00:00:00Z")))
        .hasSize(5);

    List<List<AuditLog.AuditEntry>> pages = allPages(2, r -> readSide.audit().page(AuditLog.Filter.ALL, r));
    assertThat(pages).hasSize(3);
    assertThat(pages.stream().flatMap(List::stream).toList()).isEqualTo(all);
  }

  private List<String> types(AuditLog.Filter filter) throws Exception {
    return join(readSide.audit().page(filter, PageRequest.first(100))).items().stream().map(AuditLog.AuditEntry::type).toList();
  }

  @Test
  void badLimitsCursorsAndRangesAreRefusedAsInvalid() throws Exception {
    tenant("acme", T0);
    for (String limit : List.of("0", "501", "-1", "ten", "", "1.5")) {
      assertInvalid(() -> PageRequest.parse(limit, null), "invalid_limit");
    }
    assertThat(PageRequest.parse(null, null)).isEqualTo(new PageRequest(100, null));
    assertThat(PageRequest.parse("500", null).limit()).isEqualTo(500);
    assertInvalid(() -> PageRequest.parse("10", ""), "invalid_cursor");
    // not base64url; base64url of something no tenant id can be; an audit cursor that is no sequence id
    assertInvalidStage(readSide.tenants().page(PageRequest.parse(null, "%%%")), "invalid_cursor");
    assertInvalidStage(readSide.tenants().page(PageRequest.parse(null, PageRequest.cursor("NOT A TENANT"))), "invalid_cursor");
    assertInvalidStage(readSide.models().page(TenantId.of("acme"), PageRequest.parse(null, PageRequest.cursor("/x"))),
        "invalid_cursor");
    assertInvalidStage(readSide.audit().page(AuditLog.Filter.ALL, PageRequest.parse(null, PageRequest.cursor("acme"))),
        "invalid_cursor");
    assertInvalid(() -> AuditLog.Filter.parse(null, null, null, null, "yesterday", null), "invalid_time");
    assertInvalid(() -> AuditLog.Filter.parse(null, null, null, null, null, "2026-13-01T00:00:00Z"), "invalid_time");
    assertInvalid(() -> AuditLog.Filter.parse(null, null, null, null, "2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z"),
        "invalid_range");
  }

  private static void assertInvalid(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String code) {
    assertThatThrownBy(call).isInstanceOfSatisfying(Rejected.class, r -> {
      assertThat(r.rejection().reason()).isEqualTo(Rejection.Reason.INVALID);
      assertThat(r.rejection().code()).isEqualTo(code);
    });
  }

  private static void assertInvalidStage(CompletionStage<?> stage, String code) {
    assertThatThrownBy(() -> stage.toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .extracting(e -> Rejected.unwrap(e))
        .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.rejection().code()).isEqualTo(code));
  }
}
